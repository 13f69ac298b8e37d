using System.Diagnostics;
using Marten;
using Npgsql;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>How a batch's documents reach their table.</summary>
internal enum WriteMode
{
    /// <summary>Into the fresh table of a type the build replaces whole (<see cref="DocumentWriter.ReplaceAsync"/>).</summary>
    Replace,

    /// <summary>Straight into the live table: documents of journeys none of whose events were applied before, so none exists yet.</summary>
    Insert,

    /// <summary>Through a staging table and an upsert: documents that may exist already.</summary>
    Upsert,
}

/// <summary>
/// The documents of one type a page folded, encoded for one COPY (<see cref="CopyRows"/>, with the values of the
/// type's <see cref="DuplicatedColumns"/>), and those of the type it removed (a retracted barrier, a site whose only change of state was retracted).
/// </summary>
internal sealed record DocumentBatch(string Projection, Type Type, CopyRows Rows, WriteMode Mode, DuplicatedColumns Columns)
{
    public IReadOnlyList<Guid> Removed { get; init; } = [];
}

/// <summary>
/// Writes documents as Marten stores them (id, JSON, type, version, last modified) with binary COPY on the
/// build's transaction. A type the build replaces whole is written into a fresh table beside the live one, with
/// no index to keep up per row; <see cref="SwapAsync"/> then builds its indexes in one sorted pass each and puts
/// it in the live table's place, so readers see the old documents until the build commits. Documents that may
/// already exist go through a temporary table and an upsert.
/// </summary>
internal sealed class DocumentWriter(NpgsqlConnection connection, StoreOptions options, BuildPhases phases, ILogger logger)
{
    // Tries at the swap's exclusive locks, two seconds each. Readers' statements are short. An autovacuum of a table (it
    // follows a bulk import) gives way to a waiting lock only once the wait passes deadlock_timeout (1 s by default), so a
    // try must wait longer than that. Only a transaction held open (a writer waiting on this build's locks) outlasts them.
    private const int SwapAttempts = 3;

    private readonly Dictionary<Type, (string Table, bool GuidVersion)> _tables = [];

    // The fresh table each replaced type is written into, by type.
    private readonly Dictionary<Type, string> _fresh = [];

    /// <summary>
    /// Starts replacing every document of the type: later batches of <see cref="WriteMode.Replace"/> go into a
    /// fresh table shaped like the live one (columns, defaults, compression; its indexes come at the swap).
    /// </summary>
    public async Task ReplaceAsync(Type type, CancellationToken ct)
    {
        var (table, _) = await TableAsync(type, ct);
        var fresh = table + "_build";
        await ExecuteAsync($"drop table if exists {fresh}; create table {fresh} (like {table} including all excluding indexes)", ct);
        _fresh[type] = fresh;
    }

    /// <summary>By COPY into the fresh table of a replaced type or the live table, as the batch's mode says; else COPY to a staging table and upsert.</summary>
    public async Task<int> WriteAsync(DocumentBatch batch, CancellationToken ct)
    {
        var (live, guidVersion) = await TableAsync(batch.Type, ct);
        var table = batch.Mode == WriteMode.Replace ? _fresh[batch.Type] : live;
        if (batch.Removed.Count > 0)
        {
            await using var delete = new NpgsqlCommand($"delete from {table} where id = any($1)", connection) { Parameters = { new() { Value = batch.Removed.ToArray() } } };
            await delete.ExecuteNonQueryAsync(ct);
        }

        if (batch.Rows.Rows == 0)
        {
            return 0;
        }

        var started = Stopwatch.GetTimestamp();
        var upsert = batch.Mode == WriteMode.Upsert;
        var duplicated = batch.Columns.ColumnList;
        // A staging table per type: the duplicated columns differ between types.
        var staging = "mt_build_staging_" + TableOf(batch.Type);
        if (upsert)
        {
            var columns = string.Concat(batch.Columns.Names.Select(n => $", {n} uuid"));
            await ExecuteAsync(
                $"create temporary table if not exists {staging} (id uuid, data jsonb, mt_dotnet_type varchar, mt_version_long bigint, mt_version_guid uuid{columns}) on commit drop; truncate {staging}", ct);
        }

        var (target, version) = upsert ? (staging, guidVersion ? "mt_version_guid" : "mt_version_long") : (table, "mt_version");
        // Into a table this transaction made, rows go in frozen and their pages marked all-visible: no first reader sets
        // their hint bits, and the autovacuum a large insert sets off finds nothing to do beside the readers that follow.
        var freeze = batch.Mode == WriteMode.Replace ? ", freeze" : "";
        await using (var copy = await connection.BeginRawBinaryCopyAsync($"copy {target} (id, data, mt_dotnet_type, {version}{duplicated}) from stdin (format binary{freeze})", ct))
        {
            await copy.WriteAsync(CopyRows.Header, ct);
            await copy.WriteAsync(batch.Rows.Written, ct);
            await copy.WriteAsync(CopyRows.Trailer, ct);
        }

        phases.Add("copy " + batch.Type.Name, started);
        if (upsert)
        {
            var upserting = Stopwatch.GetTimestamp();
            var source = guidVersion ? "mt_version_guid" : "mt_version_long";
            var updates = string.Concat(batch.Columns.Names.Select(n => $", {n} = excluded.{n}"));
            await ExecuteAsync(
                $"insert into {table} (id, data, mt_dotnet_type, mt_version, mt_last_modified{duplicated}) " +
                $"select id, data, mt_dotnet_type, {source}, transaction_timestamp(){duplicated} from {staging} " +
                "on conflict (id) do update set data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, " +
                $"mt_version = excluded.mt_version, mt_last_modified = excluded.mt_last_modified{updates}", ct);
            phases.Add("upsert " + batch.Type.Name, upserting);
        }

        return batch.Rows.Rows;
    }

    /// <summary>Whether the type's table keeps a Guid version (else a number): how its rows are encoded.</summary>
    public async Task<bool> GuidVersionAsync(Type type, CancellationToken ct) => (await TableAsync(type, ct)).GuidVersion;

    /// <summary>
    /// Puts each fresh table in its live table's place: its indexes are built (each in one sorted pass, under
    /// temporary names) and its statistics gathered while readers still use the live table; then, holding every
    /// live table exclusively for a moment, the live tables are dropped and the fresh ones take their names, their
    /// indexes' and their constraints'. Readers wait only for that moment, and see the new documents from the
    /// commit. When the exclusive locks do not come (a writer that read a live table waits for this build's locks)
    /// the documents are copied into the live tables instead, with the index upkeep the swap avoids.
    /// </summary>
    public async Task SwapAsync(CancellationToken ct)
    {
        if (_fresh.Count == 0)
        {
            return;
        }

        var renames = new List<string>();
        var indexing = Stopwatch.GetTimestamp();
        foreach (var (type, fresh) in _fresh)
        {
            var (live, _) = await TableAsync(type, ct);
            var (schema, name) = (options.DatabaseSchemaName, TableOf(type));
            foreach (var index in await IndexesAsync(live, ct))
            {
                var temporary = $"mt_build_{renames.Count}";
                if (index.Constraint is { } constraint)
                {
                    await ExecuteAsync($"alter table {fresh} add constraint {temporary} {constraint.Definition}", ct);
                    renames.Add($"alter table {live} rename constraint {temporary} to {constraint.Name}");
                }
                else
                {
                    await ExecuteAsync($"create {(index.Unique ? "unique " : "")}index {temporary} on {fresh} {index.Method}", ct);
                    renames.Add($"alter index {schema}.{temporary} rename to {index.Name}");
                }
            }

            // No statistics on the bodies, which were half of an analyse's time: the planner reads them only for a containment
            // (@>) filter. The product's queries filter on fields, the indexed ones estimated from their indexes' statistics.
            await ExecuteAsync($"alter table {fresh} alter column data set statistics 0; analyze {fresh}", ct);
            renames.Insert(0, $"drop table {live}; alter table {fresh} rename to {name}");
        }

        phases.Add("index", indexing);
        var swapping = Stopwatch.GetTimestamp();
        var tables = string.Join(", ", _fresh.Keys.Select(t => _tables[t].Table));
        for (var attempt = 1; ; attempt++)
        {
            await ExecuteAsync("savepoint swap; set local lock_timeout = '2s'", ct);
            try
            {
                await ExecuteAsync($"lock table {tables} in access exclusive mode", ct);
                // Every table's drop and rename come first, then the renames of indexes and constraints onto the names they replace.
                await ExecuteAsync(string.Join("; ", renames), ct);
                await ExecuteAsync("release savepoint swap; set local lock_timeout = 0", ct);
                phases.Add("swap", swapping);
                _fresh.Clear();
                return;
            }
            catch (PostgresException e)
            {
                await ExecuteAsync("rollback to savepoint swap; release savepoint swap; set local lock_timeout = 0", ct);
                if (e.SqlState is not (PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected) || attempt == SwapAttempts)
                {
                    logger.LogWarning(e, "The rebuilt tables {Tables} could not be swapped in; copying their documents instead", tables);
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), ct);
            }
        }

        foreach (var (type, fresh) in _fresh)
        {
            var (live, _) = _tables[type];
            await ExecuteAsync($"delete from {live}; insert into {live} select * from {fresh}; drop table {fresh}", ct);
        }

        phases.Add("swap", swapping);
        _fresh.Clear();
    }

    private sealed record IndexConstraint(string Name, string Definition);

    private sealed record LiveIndex(string Name, bool Unique, string Method, IndexConstraint? Constraint);

    /// <summary>The live table's indexes as PostgreSQL describes them: name, uniqueness, what follows ON table, and the constraint an index backs.</summary>
    private async Task<List<LiveIndex>> IndexesAsync(string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select i.relname, x.indisunique, pg_get_indexdef(x.indexrelid), c.conname, pg_get_constraintdef(c.oid) " +
            "from pg_index x join pg_class i on i.oid = x.indexrelid " +
            "left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = x.indrelid " +
            "where x.indrelid = $1::regclass order by i.relname", connection)
        {
            Parameters = { new() { Value = table } },
        };
        var indexes = new List<LiveIndex>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // "CREATE [UNIQUE] INDEX name ON schema.table USING btree (...) [WHERE ...]": the part from USING on is the table's own.
            var definition = reader.GetString(2);
            var method = definition[definition.IndexOf(" USING ", StringComparison.Ordinal)..].Trim();
            var constraint = reader.IsDBNull(3) ? null : new IndexConstraint(reader.GetString(3), reader.GetString(4));
            indexes.Add(new LiveIndex(reader.GetString(0), reader.GetBoolean(1), method, constraint));
        }

        return indexes;
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
