using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.NetworkFigures;

public sealed record NetworkFiguresView(
    Guid? OrganisationId, string Scope, DateOnly? From, DateOnly To, Figures Figures, Figures? AtFrom, Figures? Change, string Definitions);

public static class NetworkFigureEndpoints
{
    /// <summary>Headline figures nationally, or for a region, HIN or ICB (organisationId), as of "to" (default today), with the change since "from".</summary>
    [WolverineGet("/api/network-figures")]
    public static async Task<IResult> Get(IQuerySession session, TimeProvider clock, Guid? organisationId, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var asOf = to ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (from > asOf)
        {
            return Problems.For(Refusal.BadInput("from", "period", "from must not be after to"));
        }

        HashSet<Guid>? scope = null;
        var scopeName = "national";
        if (organisationId is { } id)
        {
            if (await session.LoadAsync<Organisation>(id, ct) is not { } organisation)
            {
                return Problems.For(new Refusal(404, "organisationId", "known-organisation", $"there is no organisation {id}"));
            }

            scope = await OrganisationTree.WithMembersAsync(session, id, ct);
            scopeName = organisation.Name;
        }

        var members = scope?.ToArray();
        var sites = members is null
            ? await session.Query<SiteAdoption>().ToListAsync(ct)
            : await session.Query<SiteAdoption>().Where(s => members.Contains(s.SiteId)).ToListAsync(ct);
        var observations = await session.Query<ObservedMetric>().Where(o => !o.Retracted).ToListAsync(ct);
        var origins = (await session.Query<InnovationSummary>().Select(s => new { s.Id, s.OriginOrganisationId }).ToListAsync(ct))
            .ToDictionary(s => s.Id, s => s.OriginOrganisationId);
        Func<ObservedMetric, bool> inScope = scope is null
            ? o => true
            : o => o.Scope is not (MeasureScope.National or MeasureScope.Innovation) && o.ScopeOrganisationId is { } org && scope.Contains(org);

        var figures = NetworkFigureRules.Count(asOf, from, sites, observations, origins, inScope);
        var atFrom = from is { } start ? NetworkFigureRules.Count(start, null, sites, observations, origins, inScope) : null;
        var change = atFrom is null ? null : new Figures(
            figures.InnovationsSpread - atFrom.InnovationsSpread, figures.LocationsLive - atFrom.LocationsLive,
            figures.PatientsBenefiting - atFrom.PatientsBenefiting, figures.JobsCreated - atFrom.JobsCreated,
            figures.InvestmentLeveragedGbp - atFrom.InvestmentLeveragedGbp, figures.SavingsGbp - atFrom.SavingsGbp);
        return Results.Ok(new NetworkFiguresView(organisationId, scopeName, from, asOf, figures, atFrom, change, Definitions));
    }

    public const string Definitions =
        "innovations spread: innovations with a site live or sustained other than their origin; " +
        "locations live: per innovation the larger of live sites from site events and the latest cumulative sites_live observation (never their sum); " +
        "patients benefiting, jobs created, investment leveraged (GBP), savings (GBP): per innovation the latest innovation-wide cumulative observation, or where there is none the sum of the latest per scoped organisation (never both), plus non-cumulative observations in the period; " +
        "retracted observations excluded, corrections applied; imprecise dates count at their midpoint; a regional scope counts sites and observations scoped to its member organisations.";
}
