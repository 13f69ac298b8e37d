using System.Buffers;
using System.Buffers.Binary;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Documents encoded as rows of PostgreSQL's binary COPY format, for the columns (id, data, mt_dotnet_type,
/// version) and the type's duplicated fields after them (<paramref name="duplicated"/> uuid columns,
/// <see cref="DuplicatedColumns"/>): the JSON is serialised straight into the row, so the writer only streams these
/// bytes and the encoding runs beside the fold instead of on the writer's connection. The buffer comes from the
/// build's pool for its type; dispose returns it.
/// </summary>
internal sealed class CopyRows(BufferPool<byte> pool, int duplicated = 0) : IBufferWriter<byte>, IDisposable
{
    /// <summary>The binary COPY signature, flags and header extension length: what precedes the rows.</summary>
    public static ReadOnlyMemory<byte> Header { get; } = new byte[] { (byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    /// <summary>The field count -1 that ends the rows.</summary>
    public static ReadOnlyMemory<byte> Trailer { get; } = new byte[] { 0xFF, 0xFF };

    private byte[] _buffer = pool.Rent(16 * 1024);
    private int _count;
    private int _lengthAt;

    public int Rows { get; private set; }

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _count);

    /// <summary>Starts a row: its field count, the id, and the jsonb field's header; the document's JSON is written next.</summary>
    public void StartRow(Guid id)
    {
        var span = GetSpan(27);
        BinaryPrimitives.WriteInt16BigEndian(span, (short)(4 + duplicated));
        BinaryPrimitives.WriteInt32BigEndian(span[2..], 16);
        id.TryWriteBytes(span[6..], bigEndian: true, out _);
        _lengthAt = _count + 22;
        span[26] = 1; // jsonb's binary format version
        Advance(27);
    }

    /// <summary>
    /// Ends the row's own columns: the JSON's length, the type name (UTF-8) and the version, a Guid or a number as the
    /// table keeps it. The duplicated fields' values follow (<see cref="AddUuid"/>), when the type has any.
    /// </summary>
    public void EndRow(ReadOnlySpan<byte> typeName, Guid? guidVersion, long version)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_lengthAt), _count - _lengthAt - 4);
        var span = GetSpan(4 + typeName.Length + 20);
        BinaryPrimitives.WriteInt32BigEndian(span, typeName.Length);
        typeName.CopyTo(span[4..]);
        var at = 4 + typeName.Length;
        if (guidVersion is { } guid)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], 16);
            guid.TryWriteBytes(span[(at + 4)..], bigEndian: true, out _);
            at += 20;
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], version);
            at += 12;
        }

        Advance(at);
        Rows++;
    }

    /// <summary>A uuid field of the row, or null.</summary>
    public void AddUuid(Guid? value)
    {
        var span = GetSpan(20);
        if (value is not { } uuid)
        {
            BinaryPrimitives.WriteInt32BigEndian(span, -1);
            Advance(4);
            return;
        }

        BinaryPrimitives.WriteInt32BigEndian(span, 16);
        uuid.TryWriteBytes(span[4..], bigEndian: true, out _);
        Advance(20);
    }

    public void Advance(int count) => _count += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_count);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_count);
    }

    public void Dispose()
    {
        pool.Return(_buffer);
        _buffer = [];
    }

    private void Ensure(int sizeHint)
    {
        if (_buffer.Length - _count >= Math.Max(sizeHint, 256))
        {
            return;
        }

        _buffer = pool.Grow(_buffer, _count, _count + sizeHint + 256);
    }
}
