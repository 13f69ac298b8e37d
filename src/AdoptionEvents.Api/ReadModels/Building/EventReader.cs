using System.Collections.Concurrent;
using System.Data.Common;
using System.Reflection;
using System.Text.Json;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Reads the events of a page of streams for a build with one plain query on its own connection, and
/// deserialises each body with the store's serializer into the catalogue's type. Only the metadata the
/// projections read is filled: sequence, id, stream, version, timestamp, tenant, type name, and of the headers
/// the tamper seal (<see cref="TamperSeal.HashOf"/>, which the journey projection keeps). The other headers, who
/// recorded an event and its correlation and causation ids are left unread, as no fold reads them (the builder's
/// tests compare its documents with the daemon's, which reads everything). Archived events are left out, as
/// Marten leaves them out. Rows are read apart from being deserialised, so a build reads one page while the
/// last is deserialised, and the deserialising, most of the reading's processor time, runs on every core.
/// </summary>
internal sealed class EventReader
{
    private readonly JsonSerializerOptions _json;
    private readonly string _sql;

    public EventReader(StoreOptions options)
    {
        // The store's own options, to deserialise each body from its bytes: the serializer's stream overload costs a
        // buffered, resumable read per event, which is most of an event's deserialising.
        JsonSerializerOptions? json = null;
        (options.Serializer() as SystemTextJsonSerializer ?? throw new InvalidOperationException("the store serialises with System.Text.Json (EventStore)"))
            .Configure(o => json = o);
        _json = json!;
        var headers = options.Events.MetadataConfig.HeadersEnabled;
        // The seal is taken out of the headers by PostgreSQL: turning the whole jsonb into text to send, and parsing it
        // here into a dictionary of objects, cost more than the event's body.
        _sql = $"select seq_id, id, stream_id, version, timestamp, tenant_id, type, {(headers ? $"headers ->> '{TamperSeal.Header}'" : "null")}, data " +
            $"from {options.Events.DatabaseSchemaName}.mt_events " +
            "where stream_id = any($1) and seq_id > $2 and seq_id <= $3 and is_archived = false order by seq_id";
    }

    /// <summary>The streams' stored events in (from, ceiling], in sequence order, as read: their bodies still JSON.</summary>
    public async Task<List<Row>> ReadRowsAsync(NpgsqlConnection connection, List<Guid> streams, long from, long ceiling, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(_sql, connection)
        {
            Parameters = { new() { Value = streams.ToArray() }, new() { Value = from }, new() { Value = ceiling } },
        };
        var rows = new List<Row>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(RowOf(reader));
        }

        return rows;
    }

    /// <summary>The rows' events, their bodies deserialised on every core: most of the reading's processor time.</summary>
    public IEvent[] Deserialise(List<Row> rows, CancellationToken ct)
    {
        var events = new IEvent[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = ct }, i => events[i] = EventOf(rows[i]));
        return events;
    }

    /// <summary>A stored event as read: its metadata, its tamper seal, and its JSON body as PostgreSQL sent it.</summary>
    public sealed record Row(long Sequence, Guid Id, Guid StreamId, long Version, DateTimeOffset Timestamp, string TenantId, string Type, string? Seal, byte[] Data);

    private static Row RowOf(DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        Bytes(reader, 8));

    // The column's bytes as PostgreSQL sent them (jsonb's version byte included: EventOf skips it), copied once.
    private static byte[] Bytes(DbDataReader reader, int index)
    {
        using var stream = reader.GetStream(index);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private IEvent EventOf(Row row)
    {
        var entry = EventCatalogue.Find(row.Type)
            ?? throw new InvalidOperationException($"event {row.Id} in stream {row.StreamId} has type '{row.Type}', which is no journey event");
        // jsonb's binary form leads with its format version (1), which no JSON text starts with.
        var body = row.Data.AsSpan();
        body = body is [1, ..] ? body[1..] : body;
        var data = JsonSerializer.Deserialize(body, entry.Type, _json)!;
        var e = Factory.For(entry.Type)(data);
        e.Sequence = row.Sequence;
        e.Id = row.Id;
        e.StreamId = row.StreamId;
        e.Version = row.Version;
        e.Timestamp = row.Timestamp;
        e.TenantId = row.TenantId;
        e.EventTypeName = row.Type;
        if (row.Seal is not null)
        {
            e.SetHeader(TamperSeal.Header, row.Seal);
        }

        return e;
    }

    /// <summary>Marten's event wrapper for a type known only at run time, made without reflection per event.</summary>
    private static class Factory
    {
        private static readonly ConcurrentDictionary<Type, Func<object, IEvent>> Factories = new();

        public static Func<object, IEvent> For(Type type) => Factories.GetOrAdd(type, t =>
            typeof(Factory).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(t).CreateDelegate<Func<object, IEvent>>());

        private static Event<T> Create<T>(object data) where T : notnull => new((T)data);
    }
}
