using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Reads the events of a page of streams for a build with one plain query on its own connection, and
/// deserialises each body with the store's serializer into the catalogue's type. Only the metadata the
/// projections read is filled: sequence, id, stream, version, timestamp, tenant, type name, and on the last event of
/// each stream the tamper seal (<see cref="TamperSeal.HashOf"/>, which the journey projection keeps from it). The
/// other headers, who recorded an event and its correlation and causation ids are left unread, as no fold reads them
/// (the builder's tests compare its documents with the daemon's, which reads everything). Archived events are left
/// out, as Marten leaves them out. Rows are read apart from being deserialised, so a build reads one page while the
/// last is deserialised, and the deserialising, most of the reading's processor time, runs on every core.
/// </summary>
internal sealed class EventReader
{
    private readonly JsonSerializerOptions _json;
    private readonly string _sql;
    private readonly BufferPool<byte> _bodies = new();
    private readonly BufferPool<Row> _rows = new();

    public EventReader(StoreOptions options)
    {
        // The store's own options, to deserialise each body from its bytes: the serializer's stream overload costs a
        // buffered, resumable read per event, which is most of an event's deserialising.
        JsonSerializerOptions? json = null;
        (options.Serializer() as SystemTextJsonSerializer ?? throw new InvalidOperationException("the store serialises with System.Text.Json (EventStore)"))
            .Configure(o => json = o);
        // Stored events were checked when they were recorded: not asking again which required members each body has
        // spares a bit array per object read.
        _json = new JsonSerializerOptions(json!)
        {
            TypeInfoResolver = (json!.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(type =>
            {
                foreach (var property in type.Properties)
                {
                    property.IsRequired = false;
                }
            }),
        };
        var headers = options.Events.MetadataConfig.HeadersEnabled;
        // The seal is taken out of the headers by PostgreSQL: turning the whole jsonb into text to send, and parsing it
        // here into a dictionary of objects, cost more than the event's body. The default tenant comes as null, and
        // each row keeps the catalogue's string for its type, so no row carries a string of its own.
        _sql = $"select seq_id, id, stream_id, version, timestamp, nullif(tenant_id, $4), type, {(headers ? $"headers ->> '{TamperSeal.Header}'" : "null")}, data " +
            $"from {options.Events.DatabaseSchemaName}.mt_events " +
            "where stream_id = any($1) and seq_id > $2 and seq_id <= $3 and is_archived = false order by seq_id";
    }

    /// <summary>The streams' stored events in (from, ceiling], in sequence order, as read: their bodies still JSON.</summary>
    public async Task<Rows> ReadRowsAsync(NpgsqlConnection connection, List<Guid> streams, long from, long ceiling, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(_sql, connection)
        {
            Parameters = { new() { Value = streams.ToArray() }, new() { Value = from }, new() { Value = ceiling }, new() { Value = StorageConstants.DefaultTenantId } },
        };
        var rows = new Rows(_bodies, _rows);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add(reader);
            }
        }
        catch
        {
            rows.Dispose();
            throw;
        }

        return rows;
    }

    /// <summary>The rows' events, their bodies deserialised on every core: most of the reading's processor time.</summary>
    public IEvent[] Deserialise(Rows rows, CancellationToken ct)
    {
        var events = new IEvent[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = ct }, i => events[i] = EventOf(rows, i));
        return events;
    }

    private IEvent EventOf(Rows rows, int index)
    {
        var row = rows[index];
        var entry = EventCatalogue.Find(row.Type)
            ?? throw new InvalidOperationException($"event {row.Id} in stream {row.StreamId} has type '{row.Type}', which is no journey event");
        var data = JsonSerializer.Deserialize(rows.Body(row), entry.Type, _json)!;
        var e = EventWrapper.Of(data);
        e.Sequence = row.Sequence;
        e.Id = row.Id;
        e.StreamId = row.StreamId;
        e.Version = row.Version;
        e.Timestamp = row.Timestamp;
        e.TenantId = row.TenantId;
        e.EventTypeName = entry.Name;
        if (rows.Seal(index) is { } seal)
        {
            e.SetHeader(TamperSeal.Header, seal);
        }

        return e;
    }

    /// <summary>A stored event as read: its metadata, and where its JSON body lies in the page's bytes.</summary>
    public readonly record struct Row(long Sequence, Guid Id, Guid StreamId, long Version, DateTimeOffset Timestamp, string TenantId, string Type, int BodyAt, int BodyLength);

    /// <summary>
    /// A page's rows, their bodies side by side in one buffer, both arrays from the reader's pools: a page waits
    /// between being read and being deserialised, and as two arrays reused from page to page it costs the collector
    /// nothing, where an array per body was copied from generation to generation. Only the last event of each stream
    /// keeps its seal. Dispose gives the arrays back.
    /// </summary>
    public sealed class Rows(BufferPool<byte> bodies, BufferPool<Row> rows) : IDisposable
    {
        private readonly Dictionary<Guid, (int Row, string? Seal)> _last = [];
        private Row[] _rows = rows.Rent(1024);
        private byte[] _bytes = bodies.Rent(1 << 20);
        private int _used;

        public int Count { get; private set; }

        public Row this[int index] => _rows[index];

        /// <summary>The event's JSON (jsonb's leading format version byte skipped).</summary>
        public ReadOnlySpan<byte> Body(Row row)
        {
            var body = _bytes.AsSpan(row.BodyAt, row.BodyLength);
            return body is [1, ..] ? body[1..] : body;
        }

        /// <summary>The tamper seal of the row, when it is the last of its stream in the page.</summary>
        public string? Seal(int index) => _last.TryGetValue(_rows[index].StreamId, out var last) && last.Row == index ? last.Seal : null;

        public void Add(DbDataReader reader)
        {
            using var body = reader.GetStream(8);
            var length = (int)body.Length;
            if (_used + length > _bytes.Length)
            {
                _bytes = bodies.Grow(_bytes, _used, _used + length);
            }

            if (Count == _rows.Length)
            {
                _rows = rows.Grow(_rows, Count, Count + 1);
            }

            body.ReadExactly(_bytes.AsSpan(_used, length));
            var streamId = reader.GetGuid(2);
            _last[streamId] = (Count, reader.IsDBNull(7) ? null : reader.GetString(7));
            _rows[Count++] = new Row(reader.GetInt64(0), reader.GetGuid(1), streamId, reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? StorageConstants.DefaultTenantId : reader.GetString(5),
                TypeOf(reader.GetString(6)), _used, length);
            _used += length;
        }

        // The catalogue's own string for a journey event's type: the one just read is dropped while it is young.
        private static string TypeOf(string read) => EventCatalogue.Find(read)?.Name ?? read;

        public void Dispose()
        {
            bodies.Return(_bytes);
            rows.Return(_rows);
            (_bytes, _rows) = ([], []);
        }
    }
}
