using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.SiteRegister;

public sealed record SiteAdoptionPage(IReadOnlyList<SiteAdoption> Items, int? NextOffset);

public static class SiteRegisterEndpoints
{
    /// <summary>Every site of one innovation, optionally in one state.</summary>
    [WolverineGet("/api/innovations/{innovationId}/sites")]
    public static Task<IResult> ForInnovation(Guid innovationId, IQuerySession session, string? state, int? offset, int? limit, CancellationToken ct) =>
        QueryAsync(session, innovationId, null, null, state, offset, limit, ct);

    /// <summary>What has this organisation adopted (or declined, or stopped)?</summary>
    [WolverineGet("/api/organisations/{organisationId}/adoptions")]
    public static Task<IResult> ForOrganisation(Guid organisationId, IQuerySession session, string? state, int? offset, int? limit, CancellationToken ct) =>
        QueryAsync(session, null, organisationId, null, state, offset, limit, ct);

    /// <summary>The register across innovations: by region (any organisation, members included), by state, by innovation.</summary>
    [WolverineGet("/api/site-adoptions")]
    public static Task<IResult> Search(IQuerySession session, Guid? innovationId, Guid? regionId, string? state, int? offset, int? limit, CancellationToken ct) =>
        QueryAsync(session, innovationId, null, regionId, state, offset, limit, ct);

    private static async Task<IResult> QueryAsync(IQuerySession session, Guid? innovationId, Guid? siteId, Guid? regionId, string? state, int? offset, int? limit, CancellationToken ct)
    {
        var (parsed, refusal) = InnovationEndpoints.Parse<SiteState>(state, "state");
        if (refusal is not null)
        {
            return Problems.For(refusal);
        }

        var query = session.Query<SiteAdoption>().AsQueryable();
        if (innovationId is { } i)
        {
            query = query.Where(x => x.InnovationId == i);
        }

        if (siteId is { } s)
        {
            query = query.Where(x => x.SiteId == s);
        }

        if (parsed is { } p)
        {
            query = query.Where(x => x.State == p);
        }

        if (regionId is { } region)
        {
            var under = (await OrganisationTree.WithMembersAsync(session, region, ct)).ToArray();
            query = query.Where(x => under.Contains(x.SiteId));
        }

        var skip = Math.Max(offset ?? 0, 0);
        var take = Math.Clamp(limit ?? 100, 1, 500);
        var page = await query.OrderBy(x => x.InnovationId).ThenBy(x => x.SiteId).Skip(skip).Take(take + 1).ToListAsync(ct);
        return Results.Ok(new SiteAdoptionPage([.. page.Take(take)], page.Count > take ? skip + take : null));
    }
}
