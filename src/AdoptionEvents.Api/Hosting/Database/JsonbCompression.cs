using Marten;
using Npgsql;

namespace AdoptionEvents.Hosting.Database;

/// <summary>
/// Sets every jsonb column of the store's schema to lz4 compression, where the server has it. PostgreSQL
/// compresses a value of more than about 2 kB on every write, with pglz unless told otherwise; a journey's
/// decision state with a thousand open barriers is 41 kB and is rewritten by every group commit on the
/// journey. Rewriting that document 300 times took 908 ms with pglz and 241 ms with lz4 (PostgreSQL 15 on
/// this project's benchmark machine). The change is to the columns' metadata only: values already stored
/// stay as they are, and a column already set is left alone, so a restart does nothing. It runs at start,
/// after Marten has applied the schema; a column it cannot lock within two seconds (a rebuild holds it)
/// is left for the next start.
/// </summary>
public sealed class JsonbCompression(IDocumentStore store, ILogger<JsonbCompression> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var schema = store.Options.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using (var probe = new NpgsqlCommand("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", connection))
        {
            if (await probe.ExecuteScalarAsync(cancellationToken) is not true)
            {
                logger.LogInformation("PostgreSQL has no lz4 compression; documents keep the server's default");
                return;
            }
        }

        var statements = new List<string>();
        await using (var find = new NpgsqlCommand(
            """
            select format('alter table %I.%I alter column %I set compression lz4', n.nspname, c.relname, a.attname)
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
              and a.atttypid = 'jsonb'::regtype and a.attcompression is distinct from 'l'
            """, connection) { Parameters = { new() { Value = schema } } })
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                statements.Add(reader.GetString(0));
            }
        }

        if (statements.Count == 0)
        {
            return;
        }

        var done = 0;
        foreach (var statement in statements)
        {
            try
            {
                // The timeout is the transaction's own: the pooled connection keeps no setting (Database:ResetConnectionsOnReturn may be off).
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await using var alter = new NpgsqlCommand($"set local lock_timeout = '2s'; {statement}", connection, tx);
                await alter.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                done++;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                logger.LogWarning("Could not lock a table to set lz4 compression ({Statement}); left for the next start", statement);
            }
        }

        logger.LogInformation("Set lz4 compression on {Count} of {Total} jsonb columns in schema {Schema}", done, statements.Count, schema);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
