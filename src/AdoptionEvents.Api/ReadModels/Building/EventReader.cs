using System.Collections.Concurrent;
using System.Data.Common;
using System.Reflection;
using AdoptionEvents.Journeys;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Reads the events of a page of streams for a build with one plain query on its own connection, and
/// deserialises each body with the store's serializer into the catalogue's type, filling the metadata Marten's
/// raw event query fills (archived events left out, as Marten leaves them out). Marten's LINQ query over raw
/// events spent most of a rebuild's reading time in translation and its per-event selector; the documents
/// folded from these events are the same.
/// </summary>
internal sealed class EventReader
{
    private readonly ISerializer _serializer;
    private readonly string _sql;
    private readonly bool _correlation;
    private readonly bool _causation;
    private readonly bool _headers;
    private readonly bool _user;

    public EventReader(StoreOptions options)
    {
        _serializer = options.Serializer();
        var metadata = options.Events.MetadataConfig;
        (_correlation, _causation, _headers, _user) = (metadata.CorrelationIdEnabled, metadata.CausationIdEnabled, metadata.HeadersEnabled, metadata.UserNameEnabled);
        string[] optional =
        [
            _correlation ? "correlation_id" : "null",
            _causation ? "causation_id" : "null",
            _headers ? "headers" : "null",
            _user ? "user_name" : "null",
        ];
        _sql = $"select seq_id, id, stream_id, version, timestamp, tenant_id, type, mt_dotnet_type, {string.Join(", ", optional)}, data " +
            $"from {options.Events.DatabaseSchemaName}.mt_events " +
            "where stream_id = any($1) and seq_id > $2 and seq_id <= $3 and is_archived = false order by seq_id";
    }

    /// <summary>The streams' events in (from, ceiling], in sequence order.</summary>
    public async Task<List<IEvent>> ReadAsync(NpgsqlConnection connection, List<Guid> streams, long from, long ceiling, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(_sql, connection)
        {
            Parameters = { new() { Value = streams.ToArray() }, new() { Value = from }, new() { Value = ceiling } },
        };
        var events = new List<IEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(Read(reader));
        }

        return events;
    }

    private IEvent Read(DbDataReader reader)
    {
        var type = reader.GetString(6);
        var entry = EventCatalogue.Find(type)
            ?? throw new InvalidOperationException($"event {reader.GetGuid(1)} in stream {reader.GetGuid(2)} has type '{type}', which is no journey event");
        var e = Factory.For(entry.Type)(_serializer.FromJson(entry.Type, reader, 12));
        e.Sequence = reader.GetInt64(0);
        e.Id = reader.GetGuid(1);
        e.StreamId = reader.GetGuid(2);
        e.Version = reader.GetInt64(3);
        e.Timestamp = reader.GetFieldValue<DateTimeOffset>(4);
        e.TenantId = reader.GetString(5);
        e.EventTypeName = type;
        if (!reader.IsDBNull(7))
        {
            e.DotNetTypeName = reader.GetString(7);
        }

        e.CorrelationId = _correlation && !reader.IsDBNull(8) ? reader.GetString(8) : null;
        e.CausationId = _causation && !reader.IsDBNull(9) ? reader.GetString(9) : null;
        e.Headers = _headers && !reader.IsDBNull(10) ? _serializer.FromJson<Dictionary<string, object>>(reader, 10) : null;
        e.UserName = _user && !reader.IsDBNull(11) ? reader.GetString(11) : null;
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
