using System.Collections.Immutable;
using System.Globalization;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using JasperFx.Events;
using Marten;
using Marten.Services.BatchQuerying;

namespace AdoptionEvents.Journeys.Recording;

public sealed record RecordedEvent(Guid Id, string Type, long Version);

/// <summary>What a command appended, and the journey's version after it (send it back in If-Match).</summary>
public sealed record Recorded(Guid InnovationId, long Version, IReadOnlyList<RecordedEvent> Events);

/// <summary>
/// The imperative shell around <see cref="JourneyDecider"/>: it checks the caller may record the fact, reads the
/// audit metadata, the If-Match and Idempotency-Key headers and what the decision needs from outside the
/// journey, then hands the command to <see cref="JourneyCommitQueue"/>, which decides and appends it in
/// turn with the other commands waiting on the same journey.
/// </summary>
public static class JourneyWriter
{
    public static async Task<IResult> StartAsync(JourneyEvent first, HttpContext http, IDocumentSession session, RegisteredOrganisations registered, TimeProvider clock, CancellationToken ct)
    {
        if (RecordingRights.Check(http.User, first) is { } forbidden)
        {
            return Problems.For(forbidden);
        }

        var audit = RequestAudit.Of(http);
        var claim = IdempotencyOf(http, audit.User, first);
        if (claim is not null && await Idempotency.ReplayAsync(session, claim.Key, claim.Hash, ct) is { } replay)
        {
            return replay;
        }

        var now = clock.GetUtcNow();
        var innovationId = Guid.CreateVersion7(now);
        var fact = first with { InnovationId = innovationId };
        var startContext = await ContextAsync(session, registered, fact, ct);
        if (RecordingRights.CheckTarget(http.User, fact, startContext) is { } notTheirs)
        {
            return Problems.For(notTheirs);
        }

        var decision = JourneyDecider.Start(fact, startContext, now, audit.User);
        if (decision.Refused)
        {
            return Problems.For(decision.Refusals);
        }

        var events = Wrap(session, decision.Events, innovationId, now, 0, null, audit);
        session.Events.StartStream<Journey>(innovationId, events);
        var recorded = Describe(innovationId, 0, events);
        var location = $"/api/innovations/{innovationId}";
        if (claim is not null)
        {
            Idempotency.Remember(session, claim.Key, claim.Hash, 201, recorded, location, Json.Options, now);
        }

        await session.SaveChangesAsync(ct);
        http.Response.Headers.ETag = ETag(recorded.Version);
        return Results.Created(location, recorded);
    }

    public static async Task<IResult> AppendAsync(Guid innovationId, JourneyEvent fact, HttpContext http, IQuerySession session, RegisteredOrganisations registered, JourneyCommitQueue commits, CancellationToken ct)
    {
        if (RecordingRights.Check(http.User, fact) is { } forbidden)
        {
            return Problems.For(forbidden);
        }

        var (expected, badHeader) = ExpectedVersion(http);
        if (badHeader is not null)
        {
            return Problems.For(badHeader);
        }

        if (await SupportAsync(http, session, innovationId, ct) is { } unsupported)
        {
            return Problems.For(unsupported);
        }

        var audit = RequestAudit.Of(http);
        var claim = IdempotencyOf(http, audit.User, fact);
        fact = fact with { InnovationId = innovationId };
        var context = await ContextAsync(session, registered, fact, ct);
        if (RecordingRights.CheckTarget(http.User, fact, context) is { } notTheirs)
        {
            return Problems.For(notTheirs);
        }

        var outcome = await commits.SubmitAsync(innovationId, new PendingCommand(fact, context, audit, expected, claim));
        if (outcome.Version is { } version)
        {
            http.Response.Headers.ETag = ETag(version);
        }

        return outcome.Result;
    }

    /// <summary>
    /// A programme lead's right to record for the journey (<see cref="RecordingRights.CheckSupport"/>): read only for a programme
    /// lead, with the journey's supporters and every organisation they belong to.
    /// </summary>
    private static async Task<Refusal?> SupportAsync(HttpContext http, IQuerySession session, Guid innovationId, CancellationToken ct)
    {
        if (!RecordingRights.NeedsSupport(http.User) || await session.LoadAsync<Journey>(innovationId, ct) is not { Supporters.IsEmpty: false } journey)
        {
            return null;
        }

        var networks = await OrganisationTree.WithParentsAsync(session, journey.Supporters, ct);
        return RecordingRights.CheckSupport(http.User, journey, networks.Keys.ToHashSet());
    }

    /// <summary>The journey with what deciding the facts needs beside its document (see <see cref="InPlay"/>), in one round trip.</summary>
    public static async Task<Journey> InPlayAsync(IQuerySession session, Journey journey, IReadOnlyCollection<JourneyEvent> facts, DecisionContext context, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var inPlay = InPlay.Load(batch, journey.Id, [.. facts.Select(f => (f, context))]);
        await batch.Execute(ct);
        return await inPlay.ApplyAsync(session, journey, ct);
    }

    /// <summary>The events and organisations the fact names, as far as the store knows them.</summary>
    public static async Task<DecisionContext> ContextAsync(IQuerySession session, RegisteredOrganisations registered, JourneyEvent fact, CancellationToken ct)
    {
        var eventIds = fact.ReferencedEvents().Distinct().ToArray();
        var organisationIds = fact.ReferencedOrganisations().Select(o => o.Id).Distinct().ToArray();
        var events = await KnownEvents.AmongAsync(session, eventIds, ct);
        // The content of the event a retraction or correction names, where the decision or the rights read it: a retraction takes back
        // what the register counts of a site fact that moved no state, and opens again what a closing fact closed; a correction makes a
        // fact that must meet every rule of its type (and a site recorder corrects knowledge shared only with a site of its own). As
        // recorded here, for the rights (sites and references, which no correction changes); the journey's lane reads it as it stands.
        var target = fact switch { EventRetracted r => r.RetractedEventId, EventCorrected c => c.CorrectedEventId, _ => Guid.Empty };
        if (events.TryGetValue(target, out var named) && (fact is EventCorrected || named.SiteId is not null && !named.MovesSiteState || ReopenedFact.Closes(named.Type)))
        {
            events[target] = named with { Fact = (await KnownEvents.RecordedAsync(session, target, ct))?.Fact };
        }

        var organisations = organisationIds.Length == 0 ? new HashSet<Guid>() : await registered.AmongAsync(session, organisationIds, ct);
        var ancestors = fact is CausalLinkAsserted link
            ? await EventIndexProjection.AncestorsAsync(session, link.CauseEventId, ct)
            : [];
        return new DecisionContext(events, organisations, ancestors);
    }

    /// <summary>
    /// The events as Marten will store them: ids chosen here (so the response can name them for later
    /// causedBy links), audit metadata, and the tamper seal chained to the stream's last hash.
    /// </summary>
    public static List<IEvent> Wrap(IDocumentSession session, IReadOnlyList<JourneyEvent> facts, Guid innovationId, DateTimeOffset now, long versionBefore, string? lastHash, AuditStamp audit)
    {
        var events = facts.Select(f =>
        {
            var e = session.Events.BuildEvent(f with { InnovationId = innovationId });
            (e.Id, e.StreamId) = (Guid.CreateVersion7(now), innovationId);
            audit.Apply(e);
            return e;
        }).ToList();
        TamperSeal.Seal(events, versionBefore, lastHash);
        return events;
    }

    public static Recorded Describe(Guid innovationId, long versionBefore, IReadOnlyList<IEvent> events) =>
        new(innovationId, versionBefore + events.Count,
            [.. events.Select((e, i) => new RecordedEvent(e.Id, EventCatalogue.NameOf(e.EventType), versionBefore + i + 1))]);

    private static IdempotencyClaim? IdempotencyOf(HttpContext http, string user, JourneyEvent body) =>
        Idempotency.KeyOf(http) is { } key ? new IdempotencyClaim($"{user}|{key}", Idempotency.Hash(http, body, Json.Options)) : null;

    private static (long? Version, Refusal? Refusal) ExpectedVersion(HttpContext http)
    {
        var header = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, null);
        }

        var value = header.Trim().TrimStart('W', '/').Trim('"');
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (version, null)
            : (null, Refusal.BadInput("If-Match", "version", $"If-Match must carry the journey version seen, e.g. \"12\"; got {header}"));
    }

    private static string ETag(long version) => $"\"{version}\"";
}

/// <summary>
/// What deciding a batch of facts reads beside the journey's document: the states of the sites they name or whose
/// change of state they retract (their <see cref="SiteStatus"/> documents, and for a retraction the site's changes that
/// stand, <see cref="StandingMoves"/>) and, when one of them closes, corrects or retracts an earlier fact, the
/// journey's <see cref="JourneyLedger"/>. A batch of staff trained at a hundred sites reads a hundred small
/// documents, never the journey's thousands of barriers.
/// </summary>
public sealed class InPlay
{
    private readonly Task<IReadOnlyList<SiteStatus>> _sites;
    private readonly Task<JourneyLedger?> _ledger;
    private readonly Guid[] _movesOf;

    private InPlay(Task<IReadOnlyList<SiteStatus>> sites, Task<JourneyLedger?> ledger, Guid[] movesOf) => (_sites, _ledger, _movesOf) = (sites, ledger, movesOf);

    /// <summary>Queues the reads on a batch query; <see cref="ApplyAsync"/> once the batch has run.</summary>
    public static InPlay Load(IBatchedQuery batch, Guid innovationId, IReadOnlyCollection<(JourneyEvent Fact, DecisionContext Context)> commands)
    {
        var siteIds = SitesNamed(innovationId, commands);
        return new InPlay(
            siteIds.Length == 0 ? Task.FromResult<IReadOnlyList<SiteStatus>>([]) : batch.LoadMany<SiteStatus>().ById(siteIds),
            commands.Any(c => JourneyLedger.IsReadBy(c.Fact)) ? batch.Load<JourneyLedger>(innovationId) : Task.FromResult<JourneyLedger?>(null),
            [.. commands.Select(c => c.Fact is EventRetracted r && c.Context.Events.GetValueOrDefault(r.RetractedEventId) is { } known && known.MovesSiteState ? known.SiteId : null)
                .OfType<Guid>().Distinct()]);
    }

    /// <summary>
    /// Whether the journey's state holds everything deciding the commands reads beside it: the status of every site they name, and
    /// nothing else (no ledger, and no retraction, which reads a site's changes of state from the stored events).
    /// </summary>
    public static bool KnownTo(Journey journey, IReadOnlyCollection<(JourneyEvent Fact, DecisionContext Context)> commands) =>
        commands.All(c => c.Fact is not EventRetracted && !JourneyLedger.IsReadBy(c.Fact) && (SiteOf(c.Fact, c.Context) is not { } site || journey.Sites.ContainsKey(site)));

    /// <summary>The ids of the <see cref="SiteStatus"/> documents of the sites the facts name, or whose events they retract.</summary>
    private static Guid[] SitesNamed(Guid innovationId, IEnumerable<(JourneyEvent Fact, DecisionContext Context)> commands) =>
        [.. commands.Select(c => SiteOf(c.Fact, c.Context)).OfType<Guid>().Select(site => SiteStatus.IdFor(innovationId, site)).Distinct()];

    private static Guid? SiteOf(JourneyEvent fact, DecisionContext context) => fact switch
    {
        SiteEvent s => s.SiteId,
        EventRetracted r => context.Events.GetValueOrDefault(r.RetractedEventId)?.SiteId,
        _ => null,
    };

    /// <summary>The journey with what was read; a site whose change a command retracts gets its changes that stand (one more read each).</summary>
    public async Task<Journey> ApplyAsync(IQuerySession session, Journey journey, CancellationToken ct)
    {
        var sites = (await _sites).ToImmutableDictionary(s => s.SiteId);
        foreach (var site in _movesOf)
        {
            if (sites.TryGetValue(site, out var status))
            {
                sites = sites.SetItem(site, status with { Moves = await StandingMoves.OfAsync(session, journey.Id, site, ct) });
            }
        }

        return journey with { Sites = sites, Ledger = await _ledger ?? JourneyLedger.Empty };
    }
}
