using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using Marten;
using Wolverine.Http;
using Wolverine.Http.Marten;
using Wolverine.Marten;

namespace AdoptionEvents.Organisations;

public sealed record RegisterOrganisation(string Name, OrganisationKind Kind, string? Code = null, DateOnly? Established = null, IReadOnlyList<Guid>? MemberOf = null);

public sealed record RenameOrganisation(string Name, DateOnly Effective);

public sealed record StartMembership(Guid ParentId, DateOnly Effective);

public sealed record EndMembership(Guid ParentId, DateOnly Effective);

public sealed record RecordSuccession(Guid SuccessorId, DateOnly Effective);

/// <summary>Pure decisions about organisations: (command, state, today) to events or refusals.</summary>
public static class OrganisationDecisions
{
    public static IEnumerable<Refusal> Register(RegisterOrganisation c, IReadOnlySet<Guid> knownParents, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(c.Name))
        {
            yield return Refusal.BadInput("name", "not-empty", "name must not be empty");
        }

        if (c.Established > today)
        {
            yield return Refusal.BadInput("established", "not-in-future", "established is after today");
        }

        foreach (var parent in (c.MemberOf ?? []).Where(p => !knownParents.Contains(p)))
        {
            yield return Refusal.UnknownReference("memberOf", "known-organisation", $"organisation {parent} is not registered");
        }
    }

    public static Refusal? Rename(Organisation org, RenameOrganisation c, DateOnly today) =>
        string.IsNullOrWhiteSpace(c.Name) ? Refusal.BadInput("name", "not-empty", "name must not be empty")
        : c.Effective > today ? Refusal.BadInput("effective", "not-in-future", "effective is after today")
        : c.Name == org.Name ? Refusal.Conflict("name", "changed", $"the organisation is already called '{org.Name}'")
        : null;

    public static Refusal? Join(Organisation org, StartMembership c, Organisation? parent, DateOnly today) =>
        parent is null ? Refusal.UnknownReference("parentId", "known-organisation", $"organisation {c.ParentId} is not registered")
        : c.ParentId == org.Id ? Refusal.Conflict("parentId", "not-self", "an organisation cannot be a member of itself")
        : c.Effective > today ? Refusal.BadInput("effective", "not-in-future", "effective is after today")
        : org.CurrentParents.Contains(c.ParentId) ? Refusal.Conflict("parentId", "not-member", $"already a member of {parent.Name}")
        : null;

    public static Refusal? Leave(Organisation org, EndMembership c, DateOnly today) =>
        !org.CurrentParents.Contains(c.ParentId) ? Refusal.Conflict("parentId", "member", $"not a current member of {c.ParentId}")
        : c.Effective > today ? Refusal.BadInput("effective", "not-in-future", "effective is after today")
        : null;

    public static Refusal? Succeed(Organisation org, RecordSuccession c, Organisation? successor, DateOnly today) =>
        successor is null ? Refusal.UnknownReference("successorId", "known-organisation", $"organisation {c.SuccessorId} is not registered")
        : c.SuccessorId == org.Id ? Refusal.Conflict("successorId", "not-self", "an organisation cannot succeed itself")
        : org.SuccessorId is not null ? Refusal.Conflict("successorId", "not-succeeded", $"already succeeded by {org.SuccessorId}")
        : c.Effective > today ? Refusal.BadInput("effective", "not-in-future", "effective is after today")
        : null;
}

public static class RegisterOrganisationEndpoint
{
    [WolverinePost("/api/organisations")]
    public static async Task<IResult> Post(RegisterOrganisation command, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        RequestAudit.Stamp(session, http);
        var now = clock.GetUtcNow();
        var parents = command.MemberOf is { Count: > 0 } ids ? await session.LoadManyAsync<Organisation>(ct, ids) : [];
        var refusals = OrganisationDecisions.Register(command, parents.Select(p => p.Id).ToHashSet(), DateOnly.FromDateTime(now.UtcDateTime)).ToList();
        if (refusals.Count > 0)
        {
            return Problems.For(refusals);
        }

        var id = Guid.CreateVersion7(now);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        session.Events.StartStream<Organisation>(id, [
            new OrganisationRegistered(id, command.Name.Trim(), command.Kind, command.Code, command.Established),
            .. (command.MemberOf ?? []).Select(p => new MembershipStarted(id, p, command.Established ?? today)),
        ]);
        await session.SaveChangesAsync(ct);
        return Results.Created($"/api/organisations/{id}", await session.LoadAsync<Organisation>(id, ct));
    }
}

public static class RenameOrganisationEndpoint
{
    [WolverinePost("/api/organisations/{id}/renames")]
    public static (IResult, Events) Post(RenameOrganisation command, [WriteAggregate] Organisation organisation, TimeProvider clock) =>
        Decided(OrganisationDecisions.Rename(organisation, command, Today(clock)), new OrganisationRenamed(organisation.Id, command.Name.Trim(), command.Effective));

    internal static DateOnly Today(TimeProvider clock) => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    internal static (IResult, Events) Decided(Refusal? refusal, object @event) =>
        refusal is null ? (Results.Accepted(), [@event]) : (Problems.For(refusal), []);
}

public static class StartMembershipEndpoint
{
    [WolverinePost("/api/organisations/{id}/memberships")]
    public static async Task<(IResult, Events)> Post(StartMembership command, [WriteAggregate] Organisation organisation, IQuerySession session, TimeProvider clock, CancellationToken ct) =>
        RenameOrganisationEndpoint.Decided(
            OrganisationDecisions.Join(organisation, command, await session.LoadAsync<Organisation>(command.ParentId, ct), RenameOrganisationEndpoint.Today(clock)),
            new MembershipStarted(organisation.Id, command.ParentId, command.Effective));
}

public static class EndMembershipEndpoint
{
    [WolverinePost("/api/organisations/{id}/memberships/ended")]
    public static (IResult, Events) Post(EndMembership command, [WriteAggregate] Organisation organisation, TimeProvider clock) =>
        RenameOrganisationEndpoint.Decided(
            OrganisationDecisions.Leave(organisation, command, RenameOrganisationEndpoint.Today(clock)),
            new MembershipEnded(organisation.Id, command.ParentId, command.Effective));
}

public static class RecordSuccessionEndpoint
{
    [WolverinePost("/api/organisations/{id}/successions")]
    public static async Task<(IResult, Events)> Post(RecordSuccession command, [WriteAggregate] Organisation organisation, IQuerySession session, TimeProvider clock, CancellationToken ct) =>
        RenameOrganisationEndpoint.Decided(
            OrganisationDecisions.Succeed(organisation, command, await session.LoadAsync<Organisation>(command.SuccessorId, ct), RenameOrganisationEndpoint.Today(clock)),
            new OrganisationSucceeded(organisation.Id, command.SuccessorId, command.Effective));
}

public static class OrganisationQueries
{
    [WolverineGet("/api/organisations/{id}")]
    public static Organisation Get([Document] Organisation organisation) => organisation;

    /// <summary>Search by name (current or former) or code, filter by kind or parent.</summary>
    [WolverineGet("/api/organisations")]
    public static async Task<IResult> List(IQuerySession session, string? q, string? kind, Guid? parentId, int? limit, CancellationToken ct)
    {
        OrganisationKind? parsedKind = null;
        if (kind is not null)
        {
            if (!Enum.TryParse<OrganisationKind>(kind.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var k))
            {
                return Problems.For(Refusal.BadInput("kind", "vocabulary",
                    $"'{kind}' is not an organisation kind ({string.Join(", ", Enum.GetNames<OrganisationKind>().Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n)))})"));
            }

            parsedKind = k;
        }

        var query = session.Query<Organisation>().AsQueryable();
        if (!string.IsNullOrWhiteSpace(q))
        {
            query = query.Where(o => o.Name.Contains(q, StringComparison.OrdinalIgnoreCase) || o.Code == q
                || o.FormerNames.Any(f => f.Name.Contains(q, StringComparison.OrdinalIgnoreCase)));
        }

        if (parsedKind is not null)
        {
            query = query.Where(o => o.Kind == parsedKind);
        }

        if (parentId is not null)
        {
            query = query.Where(o => o.Memberships.Any(m => m.ParentId == parentId && m.To == null));
        }

        return Results.Ok(await query.OrderBy(o => o.Name).Take(Math.Clamp(limit ?? 100, 1, 500)).ToListAsync(ct));
    }
}
