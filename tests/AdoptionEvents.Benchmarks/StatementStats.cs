using System.Globalization;
using System.Text;
using Npgsql;

namespace AdoptionEvents.Benchmarks;

/// <summary>
/// What PostgreSQL's statements cost per command, from pg_stat_statements: counted only while <see cref="StartAsync"/> to
/// <see cref="StopAsync"/> runs (the harness counts c.rate's untimed warm-up, at the same rate as its timed part, so that
/// the counting costs the timed figures nothing), and written as markdown beside the results. Used when the server has the
/// module preloaded: the harness's own cluster preloads it (<see cref="PreloadSettings"/>); a configured one may.
/// </summary>
public sealed class StatementStats(string connectionString)
{
    /// <summary>postgresql.conf lines for the harness's own cluster, when the binaries have the module; else none.</summary>
    public static IReadOnlyList<string> PreloadSettings()
    {
        // The server's own folder (a bin folder on PATH may hold links to it), and its lib folder beside it.
        var server = AdoptionEvents.Hosting.Database.LocalPostgresCluster.FindBinaries() is { } bin ? new FileInfo(Path.Combine(bin, "postgres")) : null;
        var real = server?.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? server?.FullName;
        return real is not null && File.Exists(Path.Combine(Path.GetDirectoryName(real)!, "..", "lib", "pg_stat_statements.so"))
            ? ["shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.track = 'none'"]
            : [];
    }

    /// <summary>Why counting could not start, when it could not.</summary>
    public string? Refusal { get; private set; }

    /// <summary>Starts counting every top-level statement from zero; false when the module is not preloaded (or not permitted).</summary>
    public async Task<bool> StartAsync(CancellationToken ct)
    {
        try
        {
            await ExecuteAsync("create extension if not exists pg_stat_statements", ct);
            await ExecuteAsync("alter system set pg_stat_statements.track = 'top'", ct);
            await ExecuteAsync("select pg_reload_conf()", ct);
            await ExecuteAsync("select pg_stat_statements_reset()", ct);
            return true;
        }
        catch (PostgresException e)
        {
            // Not preloaded (create extension works, counting does not), or not a superuser.
            Refusal = e.MessageText;
            return false;
        }
    }

    /// <summary>Stops counting and returns the statements that took most time, per <paramref name="commands"/> commands, as markdown.</summary>
    public async Task<string> StopAsync(int commands, string during, CancellationToken ct)
    {
        var rows = new List<(long Calls, double Milliseconds, long Rows, string Query)>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var read = new NpgsqlCommand(
                "select calls, total_exec_time, rows, query from pg_stat_statements " +
                "where query not like '%pg_stat_statements%' and query not like 'alter system%' order by total_exec_time desc limit 25", connection);
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.GetDouble(1), reader.GetInt64(2), reader.GetString(3)));
            }
        }

        await ExecuteAsync("alter system set pg_stat_statements.track = 'none'", ct);
        await ExecuteAsync("select pg_reload_conf()", ct);
        var total = rows.Sum(r => r.Milliseconds);
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# PostgreSQL's statements during {during}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"pg_stat_statements (top-level statements; a function's own statements are inside its call), {commands:N0} commands. Statement time is not all of PostgreSQL's processor time: parsing, the protocol and commits are outside it.")
            .AppendLine()
            .AppendLine("| Calls | Per command | Total ms | ms per command | ms per call | Rows | Statement |")
            .AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (calls, ms, count, query) in rows)
        {
            var shown = string.Join(' ', query.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
            shown = (shown.Length > 160 ? shown[..160] + " ..." : shown).Replace("|", "\\|", StringComparison.Ordinal);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {calls:N0} | {(double)calls / commands:F2} | {ms:F0} | {ms / commands:F3} | {ms / Math.Max(1, calls):F3} | {count:N0} | `{shown}` |");
        }

        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"The {rows.Count} statements above: {total:F0} ms, {total / commands:F3} ms per command.");
        return text.ToString();
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
