using System.Diagnostics;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>A folded document serialised (UTF-8 JSON) as Marten stores it, with the revision Marten keeps for it (stream version or event sequence).</summary>
internal sealed record DocumentRow(Guid Id, byte[] Json, long Revision);

/// <summary>The documents of one type a page folded, to write in one COPY, and those of the type it removed (a retracted barrier).</summary>
internal sealed record DocumentBatch(string Projection, Type Type, IReadOnlyList<DocumentRow> Rows, bool Replace)
{
    public IReadOnlyList<Guid> Removed { get; init; } = [];
}

/// <summary>
/// Writes documents as Marten stores them (id, JSON, type, version, last modified) with binary COPY on the
/// build's transaction: straight into a table the build emptied, or through a temporary table and an upsert
/// when documents may already exist.
/// </summary>
internal sealed class DocumentWriter(NpgsqlConnection connection, StoreOptions options, BuildPhases phases)
{
    private readonly Dictionary<Type, (string Table, bool GuidVersion)> _tables = [];

    // A document's Guid version only has to differ from its earlier ones, so one per build serves every document it
    // writes: a fresh one per row cost a cryptographic random number each.
    private readonly Guid _version = Guid.CreateVersion7();

    /// <summary>Deletes every document of the type (seen by others only when the build commits).</summary>
    public async Task EmptyAsync(Type type, CancellationToken ct)
    {
        var (table, _) = await TableAsync(type, ct);
        await using var command = new NpgsqlCommand($"delete from {table}", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Into a table emptied by this build (<see cref="DocumentBatch.Replace"/>) by COPY; else COPY to a staging table and upsert.</summary>
    public async Task<int> WriteAsync(DocumentBatch batch, CancellationToken ct)
    {
        var (table, guidVersion) = await TableAsync(batch.Type, ct);
        if (batch.Removed.Count > 0)
        {
            await using var delete = new NpgsqlCommand($"delete from {table} where id = any($1)", connection) { Parameters = { new() { Value = batch.Removed.ToArray() } } };
            await delete.ExecuteNonQueryAsync(ct);
        }

        if (batch.Rows.Count == 0)
        {
            return 0;
        }

        var started = Stopwatch.GetTimestamp();
        var target = batch.Replace ? table : "mt_build_staging";
        if (!batch.Replace)
        {
            await ExecuteAsync(
                "create temporary table if not exists mt_build_staging (id uuid, data jsonb, mt_dotnet_type varchar, mt_version_long bigint, mt_version_guid uuid) on commit drop; truncate mt_build_staging", ct);
        }

        var version = batch.Replace ? "mt_version" : guidVersion ? "mt_version_guid" : "mt_version_long";
        var typeName = batch.Type.FullName!;
        await using (var copy = await connection.BeginBinaryImportAsync($"copy {target} (id, data, mt_dotnet_type, {version}) from stdin (format binary)", ct))
        {
            foreach (var row in batch.Rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(row.Json, NpgsqlDbType.Jsonb, ct);
                await copy.WriteAsync(typeName, NpgsqlDbType.Varchar, ct);
                if (guidVersion)
                {
                    await copy.WriteAsync(_version, NpgsqlDbType.Uuid, ct);
                }
                else
                {
                    await copy.WriteAsync(row.Revision, NpgsqlDbType.Bigint, ct);
                }
            }

            await copy.CompleteAsync(ct);
        }

        phases.Add("copy " + batch.Type.Name, started);
        if (!batch.Replace)
        {
            var upserting = Stopwatch.GetTimestamp();
            var source = guidVersion ? "mt_version_guid" : "mt_version_long";
            await ExecuteAsync(
                $"insert into {table} (id, data, mt_dotnet_type, mt_version, mt_last_modified) " +
                $"select id, data, mt_dotnet_type, {source}, transaction_timestamp() from mt_build_staging " +
                "on conflict (id) do update set data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, " +
                "mt_version = excluded.mt_version, mt_last_modified = excluded.mt_last_modified", ct);
            phases.Add("upsert " + batch.Type.Name, upserting);
        }

        return batch.Rows.Count;
    }

    /// <summary>The table Marten keeps a document type in (its default naming, which this store does not change).</summary>
    public static string TableOf(Type type) => $"mt_doc_{type.Name.ToLowerInvariant()}";

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<(string Table, bool GuidVersion)> TableAsync(Type type, CancellationToken ct)
    {
        if (!_tables.TryGetValue(type, out var table))
        {
            var name = TableOf(type);
            await using var command = new NpgsqlCommand(
                "select data_type from information_schema.columns where table_schema = $1 and table_name = $2 and column_name = 'mt_version'", connection)
            {
                Parameters = { new() { Value = options.DatabaseSchemaName }, new() { Value = name } },
            };
            var versionType = await command.ExecuteScalarAsync(ct) as string
                ?? throw new InvalidOperationException($"no document table {options.DatabaseSchemaName}.{name}");
            _tables[type] = table = ($"{options.DatabaseSchemaName}.{name}", versionType == "uuid");
        }

        return table;
    }
}
