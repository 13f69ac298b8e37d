using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace AdoptionEvents.Evaluation;

public sealed record AsOfView(
    Guid InnovationId, DateOnly? OccurredBy, DateTimeOffset? RecordedBy, int EventsIncluded, int EventsInJourney,
    InnovationSummary? Summary, IReadOnlyList<Overlay> Overlays, IReadOnlyList<BarrierEntry> Barriers, IReadOnlyList<SiteAdoption> Sites, ChangeLogView ChangeLog, StageThresholds Rules);

/// <summary>
/// The JSON shape of <see cref="AsOfView"/> with the parts a <see cref="FoldedJourney"/> holds encoded: the
/// answer from a checkpoint, written with the same bytes a fresh fold's view serialises to.
/// </summary>
public sealed record EncodedAsOfView(
    Guid InnovationId, DateOnly? OccurredBy, DateTimeOffset? RecordedBy, int EventsIncluded, int EventsInJourney,
    EncodedJson? Summary, IReadOnlyList<Overlay> Overlays, EncodedJson Barriers, EncodedRegister Sites, EncodedJson ChangeLog, StageThresholds Rules);

public sealed record ReplayStep(
    long Version, Guid EventId, string Type, Journeys.PartialDate OccurredAt, DateTimeOffset RecordedAt, string? RecordedBy,
    Stage Stage, IReadOnlyList<Overlay> Overlays, int LiveSites, IReadOnlyDictionary<SiteState, int> SitesByState, int OpenBarriers, int DominoChanges);

public sealed record ReplayPage(Guid InnovationId, IReadOnlyList<ReplayStep> Steps, long? NextFromVersion, StageThresholds Rules);

public static class AsOfEndpoints
{
    /// <summary>
    /// The summary, site register and change log of one innovation as of a date on either axis or both:
    /// occurredBy (what had happened by D) and recordedBy (what the record showed at K).
    /// </summary>
    [WolverineGet("/api/innovations/{innovationId}/as-of")]
    public static async Task<IResult> Get(Guid innovationId, IQuerySession session, JourneyEvents journeys, IOptions<StageThresholds> rules, IOptions<JsonOptions> json,
        TimeProvider clock, DateOnly? occurredBy, DateTimeOffset? recordedBy, CancellationToken ct)
    {
        var journey = await journeys.ReadKeptAsync(session, innovationId, ct);
        if (journey.Events.Count == 0)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"));
        }

        return Results.Ok(Answer(innovationId, journey, rules.Value, json.Value.SerializerOptions, occurredBy, recordedBy, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime)));
    }

    /// <summary>
    /// The as-of answer for a kept journey: from a fold its checkpoint keeps, with the parts it holds already
    /// in <paramref name="json"/>, when the cut includes exactly the events that fold folded; else from a fold
    /// of the rest of the events the cut includes, started from a copy of the longest kept fold inside its
    /// prefix (<see cref="JourneyCheckpoint.Start"/>), with the sites that fold left unchanged written as the
    /// kept fold's JSON. Either way it serialises in <paramref name="json"/> to the
    /// same bytes as <see cref="View(Guid, IReadOnlyList{IEvent}, StageThresholds, DateOnly?, DateTimeOffset?, DateOnly)"/>.
    /// </summary>
    public static object Answer(Guid innovationId, KeptJourney journey, StageThresholds rules, JsonSerializerOptions json, DateOnly? occurredBy, DateTimeOffset? recordedBy, DateOnly now)
    {
        var events = journey.Events;
        var axes = new TimeAxes(occurredBy, recordedBy).Over(events);
        if (journey.Checkpoint.Covering(events, rules, axes) is { } folded)
        {
            return Encoded(innovationId, folded, events.Count, rules, json, axes, now);
        }

        var prefix = 0;
        while (prefix < events.Count && axes.Includes(events[prefix]))
        {
            prefix++;
        }

        var start = journey.Checkpoint.Start(events, rules, prefix);
        var from = start?.Count ?? 0;
        if (start is not null && from == prefix && !events.Skip(prefix).Any(axes.Includes))
        {
            return Encoded(innovationId, start, events.Count, rules, json, axes, now);
        }

        var fold = start?.Fold.Copy() ?? new JourneyFold(rules);
        for (var i = from; i < events.Count; i++)
        {
            if (i < prefix || axes.Includes(events[i]))
            {
                fold.Apply(events[i]);
            }
        }

        if (start is null)
        {
            return ViewOf(innovationId, fold, events.Count, rules, axes, now);
        }

        // The copy shares the document of every site its events left unchanged: those are written as the kept fold's bytes.
        var summary = fold.Summary;
        return new EncodedAsOfView(innovationId, occurredBy, recordedBy, fold.Applied, events.Count, summary is null ? null : EncodedJson.Of(summary, json),
            summary is null ? [] : InnovationEndpoints.OverlaysOn(summary, axes.Today(now), rules),
            EncodedJson.Of<IReadOnlyList<BarrierEntry>>(summary?.Barriers ?? [], json),
            EncodedRegister.Of([.. fold.Sites.Values.OrderBy(s => s.SiteId)], json, start.Encoded(json).Sites),
            EncodedJson.Of(ChangeLogGraph.Build(fold.DominoNodesAndCauses(), fold.Links.Values, occurredBy), json), rules);
    }

    private static EncodedAsOfView Encoded(Guid innovationId, FoldedJourney folded, int events, StageThresholds rules, JsonSerializerOptions json, TimeAxes axes, DateOnly now)
    {
        var summary = folded.Fold.Summary;
        var (summaryJson, barriersJson, sitesJson) = folded.Encoded(json);
        return new EncodedAsOfView(innovationId, axes.OccurredBy, axes.RecordedBy, folded.Fold.Applied, events, summaryJson,
            summary is null ? [] : InnovationEndpoints.OverlaysOn(summary, axes.Today(now), rules),
            barriersJson, sitesJson, folded.ChangeLogEncoded(axes.OccurredBy, json), rules);
    }

    /// <summary>The as-of view of a journey from its events in stream order.</summary>
    public static AsOfView View(Guid innovationId, IReadOnlyList<IEvent> events, StageThresholds rules, DateOnly? occurredBy, DateTimeOffset? recordedBy, DateOnly now)
    {
        var axes = new TimeAxes(occurredBy, recordedBy);
        return ViewOf(innovationId, JourneyFold.Of(events, rules, axes), events.Count, rules, axes, now);
    }

    private static AsOfView ViewOf(Guid innovationId, JourneyFold fold, int events, StageThresholds rules, TimeAxes axes, DateOnly now)
    {
        var today = axes.Today(now);
        return new AsOfView(innovationId, axes.OccurredBy, axes.RecordedBy, fold.Applied, events, fold.Summary,
            fold.Summary is null ? [] : InnovationEndpoints.OverlaysOn(fold.Summary, today, rules),
            fold.Summary?.Barriers ?? [],
            [.. fold.Sites.Values.OrderBy(s => s.SiteId)],
            ChangeLogGraph.Build(fold.DominoNodesAndCauses(), fold.Links.Values, axes.OccurredBy),
            rules);
    }

    /// <summary>Steps through a journey event by event with the state after each step, a page at a time.</summary>
    [WolverineGet("/api/innovations/{innovationId}/replay")]
    public static async Task<IResult> Replay(Guid innovationId, IQuerySession session, JourneyEvents journeys, IOptions<StageThresholds> rules, long? fromVersion, int? limit, CancellationToken ct)
    {
        var events = await journeys.ReadAsync(session, innovationId, ct);
        if (events.Count == 0)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"));
        }

        return Results.Ok(ReplayOf(innovationId, events, rules.Value, fromVersion, limit));
    }

    /// <summary>A page of the replay of a journey from its events in stream order.</summary>
    public static ReplayPage ReplayOf(Guid innovationId, IReadOnlyList<IEvent> events, StageThresholds rules, long? fromVersion, int? limit)
    {
        var from = Math.Max(fromVersion ?? 1, 1);
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        // The retractions and corrections before the page are known beforehand, so the fold up to it folds each fact as it stands in one
        // pass; each one in the page folds the summary again, so every step shows the journey as it stood then.
        var fold = new JourneyFold(rules, Amendments.Of(events.TakeWhile(e => e.Version < from)));
        var steps = new List<ReplayStep>();
        foreach (var e in events.TakeWhile(e => e.Version < from + take))
        {
            fold.Apply(e);
            if (e.Version >= from && fold.Summary is { } s && e.Data is Journeys.JourneyEvent fact)
            {
                steps.Add(new ReplayStep(e.Version, e.Id, e.EventTypeName, fact.OccurredAt, e.Timestamp, e.UserName, s.Stage, [.. s.Overlays],
                    s.LiveSiteCount, new Dictionary<SiteState, int>(s.SitesByState.Where(x => x.Value > 0)), s.OpenBarrierCount, s.DominoChanges));
            }
        }

        var last = events[^1].Version;
        return new ReplayPage(innovationId, steps, from + take <= last ? from + take : null, rules);
    }
}
