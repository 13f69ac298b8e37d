using System.Data.Common;
using Weasel.Core;
using Weasel.Storage;

namespace AdoptionEvents.Hosting;

/// <summary>
/// Marten's System.Text.Json serializer, except that a document or event read from a query's row is deserialised in one
/// synchronous pass over the bytes, not through System.Text.Json's asynchronous stream reader. Marten never opens a reader
/// with <c>SequentialAccess</c>, so Npgsql has the whole row in memory before anything reads it: the asynchronous read
/// does no I/O, but it still rents a read buffer per value and takes System.Text.Json's resumable path: for an event and its
/// headers 7.0-8.8 µs against 3.4-5.0 µs, compiled as the API runs (tiered compilation off; with tiers and PGO the gap is
/// about a tenth, see StoredJsonBenchmarks). Every async daemon shard, every stream fetched and every document loaded reads
/// this way. Writing, and everything else, is Marten's.
/// </summary>
public sealed class StoreJsonSerializer : Marten.Services.SystemTextJsonSerializer, Marten.ISerializer, IStorageSerializer
{
    public StoreJsonSerializer(EnumStorage enumStorage, Casing casing, Action<System.Text.Json.JsonSerializerOptions> configure)
    {
        EnumStorage = enumStorage;
        Casing = casing;
        Configure(configure);
    }

    ValueTask<T> IStorageSerializer.FromJsonAsync<T>(DbDataReader reader, int index, CancellationToken cancellationToken) =>
        new(FromJson<T>(reader, index));

    ValueTask<object> IStorageSerializer.FromJsonAsync(Type type, DbDataReader reader, int index, CancellationToken cancellationToken) =>
        new(FromJson(type, reader, index));
}
