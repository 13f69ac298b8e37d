using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using AdoptionEvents.ReadModels.Building;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace AdoptionEvents.Importing;

/// <summary>
/// New streams and their sealed events, written as Marten stores them (mt_streams and mt_events) in one transaction: every row is encoded beforehand in PostgreSQL's binary COPY format, on both
/// cores, so the connection only streams bytes. Marten's own bulk insert encodes each field of each event in turn on
/// the writer's thread and serialises each body and header set to an array of its own (measured on the benchmark's
/// 445,027 events: its COPY took 19.2 s of the import's 55.5 s).
/// </summary>
internal sealed class EventCopy(IDocumentStore store)
{
    // Microseconds between the Unix epoch and PostgreSQL's (2000-01-01), in which a timestamptz is sent.
    private const long PostgresEpochMicroseconds = 946_684_800_000_000;

    private static readonly byte[] DefaultTenant = Encoding.UTF8.GetBytes(StorageConstants.DefaultTenantId);

    private readonly ISerializer _serializer = store.Options.Serializer();
    private readonly string _schema = store.Options.Events.DatabaseSchemaName;

    /// <summary>
    /// Writes <paramref name="streams"/>, each new (its events take versions 1..n), with sequence numbers drawn from the
    /// store's sequence in the order given. The high-water mark is left to the daemon: another writer may hold a number
    /// drawn in between, not yet committed, and a mark moved past it would have readers skip its event.
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<StreamAction> streams, string aggregateAlias, DateTimeOffset recordedAt, CancellationToken ct)
    {
        var events = new List<(IEvent Event, Guid StreamId)>(streams.Sum(s => s.Events.Count));
        foreach (var stream in streams)
        {
            for (var n = 0; n < stream.Events.Count; n++)
            {
                stream.Events[n].Version = n + 1;
                events.Add((stream.Events[n], stream.Id));
            }
        }

        if (events.Count == 0)
        {
            return;
        }

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sequences = await SequencesAsync(connection, events.Count, ct);
        var microseconds = (recordedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 - PostgresEpochMicroseconds;
        // In memory as it is stored (to the microsecond, in UTC): a caller may fold these events instead of reading them back.
        var timestamp = new DateTimeOffset(recordedAt.UtcTicks - recordedAt.UtcTicks % 10, TimeSpan.Zero);
        // A share per core and then some, so a slow share (a long journey's bodies) does not hold the rest.
        var shares = Math.Min(events.Count, Environment.ProcessorCount * 4);
        var rows = new ArrayBufferWriter<byte>[shares];
        Parallel.For(0, shares, new ParallelOptions { CancellationToken = ct }, share =>
        {
            var (from, to) = (events.Count * share / shares, events.Count * (share + 1) / shares);
            var buffer = rows[share] = new ArrayBufferWriter<byte>((to - from) * 1024);
            for (var i = from; i < to; i++)
            {
                var (e, streamId) = events[i];
                e.Sequence = sequences[i];
                e.Timestamp = timestamp;
                e.TenantId = StorageConstants.DefaultTenantId;
                WriteRow(buffer, e, streamId, microseconds);
            }
        });

        var alias = Encoding.UTF8.GetBytes(aggregateAlias);
        var streamRows = new ArrayBufferWriter<byte>(streams.Count * 48);
        foreach (var stream in streams)
        {
            WriteStreamRow(streamRows, stream.Id, alias, stream.Events.Count);
        }

        await CopyAsync(connection, $"copy {_schema}.mt_streams (id, type, version, is_archived) from stdin (format binary)", [streamRows], ct);
        await CopyAsync(connection,
            $"copy {_schema}.mt_events (seq_id, id, stream_id, version, type, timestamp, tenant_id, mt_dotnet_type, is_archived, " +
            "correlation_id, causation_id, user_name, data, headers) from stdin (format binary)", rows, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Drawn like any append's, so a concurrent writer's events take numbers in between and nothing collides.</summary>
    private async Task<long[]> SequencesAsync(NpgsqlConnection connection, int count, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select array_agg(nextval('{_schema}.mt_events_sequence')) from generate_series(1, $1)", connection)
        {
            Parameters = { new() { Value = count } },
        };
        return (long[])(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string copy, IEnumerable<ArrayBufferWriter<byte>> rows, CancellationToken ct)
    {
        await using var stream = await connection.BeginRawBinaryCopyAsync(copy, ct);
        await stream.WriteAsync(CopyRows.Header, ct);
        foreach (var buffer in rows)
        {
            await stream.WriteAsync(buffer.WrittenMemory, ct);
        }

        await stream.WriteAsync(CopyRows.Trailer, ct);
    }

    private static void WriteStreamRow(ArrayBufferWriter<byte> buffer, Guid id, byte[] alias, long version)
    {
        Int16(buffer, 4);
        Uuid(buffer, id);
        Text(buffer, alias);
        Int64(buffer, version);
        Bool(buffer, false);
    }

    /// <summary>One event, in the column order of the COPY above; the timestamp in microseconds since 2000-01-01 UTC.</summary>
    private void WriteRow(ArrayBufferWriter<byte> buffer, IEvent e, Guid streamId, long timestamp)
    {
        Int16(buffer, 14);
        Int64(buffer, e.Sequence);
        Uuid(buffer, e.Id);
        Uuid(buffer, streamId);
        Int64(buffer, e.Version);
        Text(buffer, e.EventTypeName);
        Int64(buffer, timestamp);
        Text(buffer, DefaultTenant);
        Text(buffer, e.DotNetTypeName);
        Bool(buffer, false);
        Text(buffer, e.CorrelationId);
        Text(buffer, e.CausationId);
        Text(buffer, e.UserName);
        Jsonb(buffer, e.Data);
        if (e.Headers is { Count: > 0 } headers)
        {
            Jsonb(buffer, headers);
        }
        else
        {
            Null(buffer);
        }
    }

    /// <summary>A jsonb field: its length, format version 1 and the JSON, serialised straight into the row.</summary>
    private void Jsonb(ArrayBufferWriter<byte> buffer, object value)
    {
        var lengthAt = buffer.WrittenCount;
        var span = buffer.GetSpan(5);
        span[4] = 1;
        buffer.Advance(5);
        _serializer.WriteTo(buffer, value);
        // The length is known only once the value is written: it goes back into the bytes already written.
        var written = MemoryMarshal.AsMemory(buffer.WrittenMemory).Span;
        BinaryPrimitives.WriteInt32BigEndian(written[lengthAt..], buffer.WrittenCount - lengthAt - 4);
    }

    private static void Text(ArrayBufferWriter<byte> buffer, string? value)
    {
        if (value is null)
        {
            Null(buffer);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        var span = buffer.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        Encoding.UTF8.GetBytes(value, span[4..]);
        buffer.Advance(4 + length);
    }

    private static void Text(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> utf8)
    {
        var span = buffer.GetSpan(4 + utf8.Length);
        BinaryPrimitives.WriteInt32BigEndian(span, utf8.Length);
        utf8.CopyTo(span[4..]);
        buffer.Advance(4 + utf8.Length);
    }

    private static void Null(ArrayBufferWriter<byte> buffer)
    {
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), -1);
        buffer.Advance(4);
    }

    private static void Int16(ArrayBufferWriter<byte> buffer, short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(buffer.GetSpan(2), value);
        buffer.Advance(2);
    }

    private static void Int64(ArrayBufferWriter<byte> buffer, long value)
    {
        var span = buffer.GetSpan(12);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], value);
        buffer.Advance(12);
    }

    private static void Uuid(ArrayBufferWriter<byte> buffer, Guid value)
    {
        var span = buffer.GetSpan(20);
        BinaryPrimitives.WriteInt32BigEndian(span, 16);
        value.TryWriteBytes(span[4..], bigEndian: true, out _);
        buffer.Advance(20);
    }

    private static void Bool(ArrayBufferWriter<byte> buffer, bool value)
    {
        var span = buffer.GetSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = value ? (byte)1 : (byte)0;
        buffer.Advance(5);
    }
}
