using System.Globalization;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Organisations;
using JasperFx.Events;
using Marten;

namespace AdoptionEvents.Journeys.Recording;

public sealed record RecordedEvent(Guid Id, string Type, long Version);

/// <summary>What a command appended, and the journey's version after it (send it back in If-Match).</summary>
public sealed record Recorded(Guid InnovationId, long Version, IReadOnlyList<RecordedEvent> Events);

/// <summary>
/// The imperative shell around <see cref="JourneyDecider"/>: it checks the caller may record the fact, stamps audit metadata, answers
/// idempotent retries, takes the journey's stream lock (so concurrent commands on one innovation queue
/// instead of failing), checks If-Match, loads what the decision needs, decides, and appends.
/// </summary>
public static class JourneyWriter
{
    public static async Task<IResult> StartAsync(JourneyEvent first, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (RecordingRights.Check(http.User, first) is { } forbidden)
        {
            return Problems.For(forbidden);
        }

        var user = RequestAudit.Stamp(session, http);
        var (key, hash) = IdempotencyOf(http, user, first);
        if (key is not null && await Idempotency.ReplayAsync(session, key, hash, ct) is { } replay)
        {
            return replay;
        }

        var now = clock.GetUtcNow();
        var innovationId = Guid.CreateVersion7(now);
        var fact = first with { InnovationId = innovationId };
        var decision = JourneyDecider.Start(fact, await ContextAsync(session, fact, ct), now, user);
        if (decision.Refused)
        {
            return Problems.For(decision.Refusals);
        }

        var events = Wrap(session, decision.Events, innovationId, now, 0, null);
        session.Events.StartStream<Journey>(innovationId, events);
        var recorded = Describe(innovationId, 0, events);
        var location = $"/api/innovations/{innovationId}";
        if (key is not null)
        {
            Idempotency.Remember(session, key, hash, 201, recorded, location, Json.Options, now);
        }

        await session.SaveChangesAsync(ct);
        http.Response.Headers.ETag = ETag(recorded.Version);
        return Results.Created(location, recorded);
    }

    public static async Task<IResult> AppendAsync(Guid innovationId, JourneyEvent fact, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (RecordingRights.Check(http.User, fact) is { } forbidden)
        {
            return Problems.For(forbidden);
        }

        var user = RequestAudit.Stamp(session, http);
        var (key, hash) = IdempotencyOf(http, user, fact);
        if (key is not null && await Idempotency.ReplayAsync(session, key, hash, ct) is { } replay)
        {
            return replay;
        }

        if (ExpectedVersion(http) is { Refusal: { } badHeader })
        {
            return Problems.For(badHeader);
        }

        var stream = await session.Events.FetchForExclusiveWriting<Journey>(innovationId, ct);
        if (stream.Aggregate is null)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"));
        }

        if (ExpectedVersion(http).Version is { } expected && expected != stream.CurrentVersion)
        {
            http.Response.Headers.ETag = ETag(stream.CurrentVersion ?? 0);
            return Problems.For(new Refusal(412, "If-Match", "current-version",
                $"the journey is at version {stream.CurrentVersion}, not {expected}: read it again, then retry with If-Match: \"{stream.CurrentVersion}\""));
        }

        var now = clock.GetUtcNow();
        fact = fact with { InnovationId = innovationId };
        var decision = JourneyDecider.Decide(stream.Aggregate, fact, await ContextAsync(session, fact, ct), now, user);
        if (decision.Refused)
        {
            return Problems.For(decision.Refusals);
        }

        var events = Wrap(session, decision.Events, innovationId, now, stream.CurrentVersion ?? 0, stream.Aggregate.LastHash);
        var recorded = Describe(innovationId, stream.CurrentVersion ?? 0, events);
        stream.AppendMany(events);
        if (key is not null)
        {
            Idempotency.Remember(session, key, hash, 200, recorded, null, Json.Options, now);
        }

        await session.SaveChangesAsync(ct);
        http.Response.Headers.ETag = ETag(recorded.Version);
        return Results.Ok(recorded);
    }

    /// <summary>The events and organisations the fact names, as far as the store knows them.</summary>
    public static async Task<DecisionContext> ContextAsync(IQuerySession session, JourneyEvent fact, CancellationToken ct)
    {
        var eventIds = fact.ReferencedEvents().Distinct().ToArray();
        var organisationIds = fact.ReferencedOrganisations().Select(o => o.Id).Distinct().ToArray();
        var events = eventIds.Length == 0 ? [] : await session.LoadManyAsync<IndexedEvent>(ct, eventIds);
        var organisations = organisationIds.Length == 0 ? [] : await session.LoadManyAsync<Organisation>(ct, organisationIds);
        var ancestors = fact is CausalLinkAsserted link
            ? await EventIndexProjection.AncestorsAsync(session, link.CauseEventId, ct)
            : [];
        return new DecisionContext(
            events.ToDictionary(e => e.Id, e => new KnownEvent(e.Id, e.InnovationId, e.Type)),
            organisations.Select(o => o.Id).ToHashSet(),
            ancestors);
    }

    /// <summary>
    /// The events as Marten will store them: ids chosen here (so the response can name them for later
    /// causedBy links), audit metadata, and the tamper seal chained to the stream's last hash.
    /// </summary>
    private static object[] Wrap(IDocumentSession session, IReadOnlyList<JourneyEvent> facts, Guid innovationId, DateTimeOffset now, long versionBefore, string? lastHash)
    {
        var events = facts.Select(f =>
        {
            var e = session.Events.BuildEvent(f with { InnovationId = innovationId });
            (e.Id, e.StreamId) = (Guid.CreateVersion7(now), innovationId);
            (e.UserName, e.CorrelationId, e.CausationId) = (session.LastModifiedBy, session.CorrelationId, session.CausationId);
            return e;
        }).ToList();
        TamperSeal.Seal(events, versionBefore, lastHash);
        return [.. events];
    }

    private static Recorded Describe(Guid innovationId, long versionBefore, object[] events) =>
        new(innovationId, versionBefore + events.Length,
            [.. events.Cast<IEvent>().Select((e, i) => new RecordedEvent(e.Id, EventCatalogue.NameOf(e.EventType), versionBefore + i + 1))]);

    private static (string? Key, string Hash) IdempotencyOf(HttpContext http, string user, JourneyEvent body) =>
        Idempotency.KeyOf(http) is { } key ? ($"{user}|{key}", Idempotency.Hash(http, body, Json.Options)) : (null, "");

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
