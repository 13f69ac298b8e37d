using System.Text.Json;
using AdoptionEvents.Hosting;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>One stored event with everything an auditor asks: what, when it happened, when and by whom it was recorded, why.</summary>
public sealed record HistoryEntry(
    Guid Id,
    long Version,
    long Sequence,
    string Type,
    string Family,
    JsonElement Data,
    PartialDate OccurredAt,
    DateTimeOffset RecordedAt,
    string? RecordedBy,
    string? CorrelationId,
    string? CausationId,
    IReadOnlyDictionary<string, object>? Headers);

public sealed record JourneyHistoryPage(Guid InnovationId, long Version, IReadOnlyList<HistoryEntry> Events, long? NextFromVersion);

public static class JourneyHistoryEndpoint
{
    /// <summary>The journey's events in order with their audit metadata, a page at a time.</summary>
    [WolverineGet("/api/innovations/{innovationId}/events")]
    public static async Task<IResult> Get(Guid innovationId, IQuerySession session, long? fromVersion, int? limit, CancellationToken ct)
    {
        var state = await session.Events.FetchStreamStateAsync(innovationId, ct);
        if (state is null)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"));
        }

        var from = Math.Max(fromVersion ?? 1, 1);
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamId == innovationId && e.Version >= from)
            .OrderBy(e => e.Version)
            .Take(take + 1)
            .ToListAsync(ct);

        var entries = events.Take(take)
            .Where(e => e.Data is JourneyEvent)
            .Select(e =>
            {
                var fact = (JourneyEvent)e.Data;
                var entry = EventCatalogue.Of(fact);
                return new HistoryEntry(e.Id, e.Version, e.Sequence, entry.Name, entry.Family,
                    JsonSerializer.SerializeToElement(fact, fact.GetType(), Json.Options), fact.OccurredAt, e.Timestamp,
                    e.UserName, e.CorrelationId, e.CausationId, e.Headers);
            })
            .ToList();
        return Results.Ok(new JourneyHistoryPage(innovationId, state.Version, entries, events.Count > take ? events[take].Version : null));
    }
}
