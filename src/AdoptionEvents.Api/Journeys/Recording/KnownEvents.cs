using System.Collections.Immutable;
using System.Text.Json;
using AdoptionEvents.Journeys.Corrections;
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
    /// The ids that are journey events, as the change log shows them: the index's document where it keeps one (every corrected fact
    /// has one), else the same document made from the stored event (<see cref="IndexedEvent.Of"/>).
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

        // A corrected fact always has its entry (IndexedEvent.Corrected): the rest are read as stored.
        var serializer = session.DocumentStore.Options.Serializer();
        await using var command = Rows(session, "id, stream_id, type, data", missing);
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        while (await reader.ReadAsync(ct))
        {
            var entry = EventCatalogue.Find(reader.GetString(2))!;
            var fact = (JourneyEvent)serializer.FromJson(entry.Type, reader, 3);
            found.Add(IndexedEvent.Of(reader.GetGuid(0), reader.GetGuid(1), fact));
        }

        return found;
    }

    /// <summary>
    /// The stored fact with the id (a journey event the caller knows is there), as its corrections leave it (<see cref="CorrectedFact.Amended"/>):
    /// what a later retraction takes back, or a later correction changes, is the fact as it stands. Its corrections are the ones its journey's
    /// ledger lists (<see cref="JourneyLedger.Corrections"/>; <paramref name="ledger"/> where the caller has just read the fact's journey's), read by id. It is read
    /// where the fact as it stands is needed: by the journey's lane when it decides (<c>JourneyCommitQueue</c>), and by the event index at a
    /// correction.
    /// </summary>
    public static async Task<JourneyEvent?> FactAsync(IQuerySession session, Guid id, CancellationToken ct, JourneyLedger? ledger = null)
    {
        if (await RecordedAsync(session, id, ct) is not { } recorded)
        {
            return null;
        }

        if (ledger?.Id != recorded.Journey)
        {
            ledger = await session.LoadAsync<JourneyLedger>(recorded.Journey, ct);
        }

        var corrections = ledger?.Corrections.GetValueOrDefault(id) is { } listed ? await CorrectionsAsync(session, listed, ledger.Retracted, ct) : [];
        return corrections.Count == 0 ? recorded.Fact : CorrectedFact.Amended(recorded.Fact, corrections);
    }

    /// <summary>
    /// The stored fact with the id as it was recorded, and its journey: one read by the unique index on the event id. What decides on
    /// the fact reads it as it stands (<see cref="FactAsync"/>); its references and site, which no correction changes, read the same.
    /// </summary>
    public static async Task<(JourneyEvent Fact, Guid Journey)?> RecordedAsync(IQuerySession session, Guid id, CancellationToken ct)
    {
        var serializer = session.DocumentStore.Options.Serializer();
        await using var command = Rows(session, "type, data, stream_id", [id]);
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        return await reader.ReadAsync(ct) ? ((JourneyEvent)serializer.FromJson(EventCatalogue.Find(reader.GetString(0))!.Type, reader, 1), reader.GetGuid(2)) : null;
    }

    /// <summary>
    /// The changes of the corrections, in the order given, by the unique index on the event id; one the journey retracted (stored before a
    /// correction stood) left out, and one not stored yet (a correction in the transaction that reads it) too.
    /// </summary>
    private static async Task<List<IReadOnlyDictionary<string, JsonElement>>> CorrectionsAsync(IQuerySession session, ImmutableList<Guid> corrections, ImmutableHashSet<Guid> retracted, CancellationToken ct)
    {
        var standing = corrections.Where(c => !retracted.Contains(c)).ToArray();
        if (standing.Length == 0)
        {
            return [];
        }

        var serializer = session.DocumentStore.Options.Serializer();
        var found = new Dictionary<Guid, IReadOnlyDictionary<string, JsonElement>>(standing.Length);
        await using var command = Rows(session, "id, data", standing);
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        while (await reader.ReadAsync(ct))
        {
            found[reader.GetGuid(0)] = serializer.FromJson<EventCorrected>(reader, 1).Changes;
        }

        return [.. standing.Where(found.ContainsKey).Select(c => found[c])];
    }

    private static NpgsqlCommand Rows(IQuerySession session, string columns, IReadOnlyCollection<Guid> ids) =>
        new($"select {columns} from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_events where id = any($1) and type = any($2)")
        {
            Parameters = { new() { Value = ids as Guid[] ?? [.. ids] }, new() { Value = JourneyTypes } },
        };
}
