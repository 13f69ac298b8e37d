using AdoptionEvents.Journeys.Corrections;
using System.Text.Json;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>
/// Journey events by id. The event index keeps documents only for the events found by content (domino events
/// and events with causes), so the rest are read from the stored events, by Marten's unique index on the event
/// id. Only journey event types count: an organisation's event is no journey event and stays unknown.
/// </summary>
public static class KnownEvents
{
    private static readonly string[] JourneyTypes = [.. EventCatalogue.Entries.Select(e => e.Name)];

    /// <summary>
    /// The ids that are journey events, with their journey, type and the site they name. Every journey event has its row,
    /// so the rows answer alone, without a body to deserialise.
    /// </summary>
    public static async Task<Dictionary<Guid, KnownEvent>> AmongAsync(IQuerySession session, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var known = new Dictionary<Guid, KnownEvent>(ids.Count);
        if (ids.Count == 0)
        {
            return known;
        }

        await using var command = Rows(session, "id, stream_id, type, (data ->> 'siteId')::uuid", ids);
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        while (await reader.ReadAsync(ct))
        {
            var e = new KnownEvent(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3));
            known[e.Id] = e;
        }

        return known;
    }

    /// <summary>
    /// The ids that are journey events, as the change log shows them: the index's document where it keeps one, else
    /// the same document made from the stored event as its corrections leave it (<see cref="IndexedEvent.Of"/>).
    /// </summary>
    public static async Task<List<IndexedEvent>> IndexedAsync(IQuerySession session, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var found = new List<IndexedEvent>(await session.LoadManyAsync<IndexedEvent>(ct, ids));
        var missing = ids.Except(found.Select(e => e.Id)).ToArray();
        if (missing.Length == 0)
        {
            return found;
        }

        var serializer = session.DocumentStore.Options.Serializer();
        var read = new List<(Guid Id, Guid Journey, JourneyEvent Fact)>();
        await using (var command = Rows(session, "id, stream_id, type, data", missing))
        await using (var reader = await session.ExecuteReaderAsync(command, ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var entry = EventCatalogue.Find(reader.GetString(2))!;
                read.Add((reader.GetGuid(0), reader.GetGuid(1), (JourneyEvent)serializer.FromJson(entry.Type, reader, 3)));
            }
        }

        var corrections = await CorrectionsAsync(session, [.. read.Select(r => r.Id)], [.. read.Select(r => r.Journey).Distinct()], ct);
        found.AddRange(read.Select(r => IndexedEvent.Of(r.Id, r.Journey, corrections.TryGetValue(r.Id, out var changes) ? CorrectedFact.Amended(r.Fact, changes) : r.Fact)));
        return found;
    }

    /// <summary>
    /// The stored fact with the id (a journey event the caller knows is there), as its corrections leave it (<see cref="CorrectedFact.Amended"/>):
    /// what a later retraction takes back, or a later correction changes, is the fact as it stands.
    /// </summary>
    public static async Task<JourneyEvent?> FactAsync(IQuerySession session, Guid id, CancellationToken ct)
    {
        var serializer = session.DocumentStore.Options.Serializer();
        JourneyEvent fact;
        Guid journey;
        await using (var command = Rows(session, "type, data, stream_id", [id]))
        await using (var reader = await session.ExecuteReaderAsync(command, ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            (fact, journey) = ((JourneyEvent)serializer.FromJson(EventCatalogue.Find(reader.GetString(0))!.Type, reader, 1), reader.GetGuid(2));
        }

        var corrections = await CorrectionsAsync(session, [id], [journey], ct);
        return corrections.TryGetValue(id, out var changes) ? CorrectedFact.Amended(fact, changes) : fact;
    }

    /// <summary>
    /// The changes of every correction of the given events, by event, in the order recorded; corrections the journey retracted (stored
    /// before a correction stood) left out. Corrections are rare: the journeys' rows by Marten's (stream, version) index, filtered by type.
    /// </summary>
    private static async Task<Dictionary<Guid, List<IReadOnlyDictionary<string, JsonElement>>>> CorrectionsAsync(IQuerySession session, Guid[] ids, Guid[] journeys, CancellationToken ct)
    {
        var found = new Dictionary<Guid, List<IReadOnlyDictionary<string, JsonElement>>>();
        if (ids.Length == 0)
        {
            return found;
        }

        var serializer = session.DocumentStore.Options.Serializer();
        var schema = session.DocumentStore.Options.Events.DatabaseSchemaName;
        await using var command = new NpgsqlCommand($"select c.data from {schema}.mt_events c where c.stream_id = any($1) and c.type = $2 " +
            "and (c.data ->> 'correctedEventId')::uuid = any($3) and not exists (select 1 from " +
            $"{schema}.mt_events r where r.stream_id = c.stream_id and r.type = $4 and (r.data ->> 'retractedEventId')::uuid = c.id) order by c.seq_id")
        {
            Parameters = { new() { Value = journeys }, new() { Value = CorrectionType }, new() { Value = ids }, new() { Value = RetractionType } },
        };
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        while (await reader.ReadAsync(ct))
        {
            var correction = serializer.FromJson<EventCorrected>(reader, 0);
            (found.TryGetValue(correction.CorrectedEventId, out var list) ? list : found[correction.CorrectedEventId] = []).Add(correction.Changes);
        }

        return found;
    }

    private static readonly string RetractionType = EventCatalogue.NameOf(typeof(EventRetracted));

    private static readonly string CorrectionType = EventCatalogue.NameOf(typeof(EventCorrected));

    private static NpgsqlCommand Rows(IQuerySession session, string columns, IReadOnlyCollection<Guid> ids) =>
        new($"select {columns} from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_events where id = any($1) and type = any($2)")
        {
            Parameters = { new() { Value = ids as Guid[] ?? [.. ids] }, new() { Value = JourneyTypes } },
        };
}
