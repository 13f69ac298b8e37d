using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.Audit;
using JasperFx.Events;
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
    string? Hash,
    IReadOnlyDictionary<string, object>? Headers)
{
    /// <summary>A stored journey event as history shows it.</summary>
    public static HistoryEntry Of(IEvent e)
    {
        var fact = (JourneyEvent)e.Data;
        var entry = EventCatalogue.Of(fact);
        return new HistoryEntry(e.Id, e.Version, e.Sequence, entry.Name, entry.Family,
            JsonSerializer.SerializeToElement(fact, fact.GetType(), Json.Options), fact.OccurredAt, e.Timestamp,
            e.UserName, e.CorrelationId, e.CausationId, TamperSeal.HashOf(e), e.Headers);
    }
}

public sealed record JourneyHistoryPage(Guid InnovationId, long Version, IReadOnlyList<HistoryEntry> Events, long? NextFromVersion);

public static class JourneyHistoryEndpoint
{
    /// <summary>
    /// The journey's events in order with their audit metadata, a page at a time. Filters: family, type
    /// (stored names, comma-separated), siteId (events naming that organisation), occurredFrom and
    /// occurredTo (ISO dates; an imprecise date matches when its interval overlaps the range).
    /// </summary>
    [WolverineGet("/api/innovations/{innovationId}/events")]
    public static async Task<IResult> Get(Guid innovationId, IQuerySession session, long? fromVersion, int? limit,
        string? family, string? type, Guid? siteId, DateOnly? occurredFrom, DateOnly? occurredTo, CancellationToken ct)
    {
        var state = await session.Events.FetchStreamStateAsync(innovationId, ct);
        if (state is null)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"));
        }

        var types = type?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        if (types?.FirstOrDefault(t => EventCatalogue.Find(t) is null) is { } unknown)
        {
            return Problems.For(Refusal.BadInput("type", "vocabulary", $"'{unknown}' is not an event type (GET /api/vocabularies)"));
        }

        if (family is not null && EventCatalogue.Entries.All(e => e.Family != family))
        {
            return Problems.For(Refusal.BadInput("family", "vocabulary", $"family is one of {string.Join(", ", EventCatalogue.Entries.Select(e => e.Family).Distinct())}"));
        }

        bool Wanted(JourneyEvent fact)
        {
            var entry = EventCatalogue.Of(fact);
            return (types is null || types.Contains(entry.Name)) && (family is null || entry.Family == family)
                && (siteId is null || fact.ReferencedOrganisations().Any(o => o.Id == siteId))
                && (occurredFrom is null || fact.OccurredAt.Latest >= occurredFrom) && (occurredTo is null || fact.OccurredAt.Earliest <= occurredTo);
        }

        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var found = new List<IEvent>();
        var from = Math.Max(fromVersion ?? 1, 1);
        while (found.Count <= take)
        {
            var chunk = await session.Events.QueryAllRawEvents()
                .Where(e => e.StreamId == innovationId && e.Version >= from)
                .OrderBy(e => e.Version).Take(500).ToListAsync(ct);
            found.AddRange(chunk.Where(e => e.Data is JourneyEvent fact && Wanted(fact)));
            if (chunk.Count < 500)
            {
                break;
            }

            from = chunk[^1].Version + 1;
        }

        var entries = found.Take(take).Select(HistoryEntry.Of).ToList();
        return Results.Ok(new JourneyHistoryPage(innovationId, state.Version, entries, found.Count > take ? found[take].Version : null));
    }
}
