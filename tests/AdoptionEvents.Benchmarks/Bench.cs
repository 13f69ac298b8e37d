using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Importing;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using Npgsql;
using NpgsqlTypes;

namespace AdoptionEvents.Benchmarks;

public sealed record Result(string Path, long Count, TimeSpan Elapsed, double Rate, string Unit, double? P50Ms = null, double? P99Ms = null)
{
    public override string ToString() =>
        $"{Path}: {Count} in {Elapsed.TotalSeconds:F2} s = {Rate:F0} {Unit}" + (P50Ms is null ? "" : $", p50 {P50Ms:F1} ms, p99 {P99Ms:F1} ms");
}

public static class Bench
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<Result> RawCopyAsync(string connectionString, ImportBatch batch)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand(
            "create unlogged table if not exists bench_raw_events (seq_id bigint, id uuid, stream_id uuid, version bigint, data jsonb, type varchar, timestamp timestamptz, tenant_id varchar, mt_dotnet_type varchar, is_archived bool, user_name varchar, headers jsonb)",
            connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var rows = batch.Journeys.SelectMany(j => j.Events.Select((e, i) => (Stream: j.InnovationId, Version: i + 1L, Event: e))).ToList();
        var json = rows.Select(r => JsonSerializer.Serialize(r.Event.Fact, r.Event.Fact.GetType(), Json.Options)).ToList();
        var watch = Stopwatch.StartNew();
        await using (var importer = await connection.BeginBinaryImportAsync("copy bench_raw_events from stdin (format binary)"))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync((long)i + 1, NpgsqlDbType.Bigint);
                await importer.WriteAsync(rows[i].Event.Id, NpgsqlDbType.Uuid);
                await importer.WriteAsync(rows[i].Stream, NpgsqlDbType.Uuid);
                await importer.WriteAsync(rows[i].Version, NpgsqlDbType.Bigint);
                await importer.WriteAsync(json[i], NpgsqlDbType.Jsonb);
                await importer.WriteAsync(EventCatalogue.Of(rows[i].Event.Fact).Name, NpgsqlDbType.Varchar);
                await importer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
                await importer.WriteAsync("*DEFAULT*", NpgsqlDbType.Varchar);
                await importer.WriteAsync(rows[i].Event.Fact.GetType().FullName!, NpgsqlDbType.Varchar);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean);
                await importer.WriteAsync("bench", NpgsqlDbType.Varchar);
                await importer.WriteAsync("{}", NpgsqlDbType.Jsonb);
            }

            await importer.CompleteAsync();
        }

        return new Result("a. raw Npgsql binary COPY of the same event rows (ceiling)", rows.Count, watch.Elapsed, rows.Count / watch.Elapsed.TotalSeconds, "events/s");
    }

    public static async Task<Result> AsOfAsync(HttpClient client, Guid innovationId, int events)
    {
        // One request first, so the endpoint's generated code and JIT are not in the figures.
        (await client.GetAsync($"/api/innovations/{innovationId}/as-of?occurredBy=2020-01-01")).EnsureSuccessStatusCode();
        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            var response = await client.GetAsync($"/api/innovations/{innovationId}/as-of?occurredBy=2020-01-01");
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return new Result($"e. as-of replay of the largest journey ({events} events; median and slowest of 5, after one warm-up)", events, TimeSpan.FromMilliseconds(times[2]), times[2], "ms", times[2], times[^1]);
    }

    /// <summary>Concurrent clients record staff_trained at sites already live on one innovation (in process, no network stack).</summary>
    public static async Task<Result> CommandsAsync(HttpClient client, ImportedJourney journey, int concurrency, int commands)
    {
        var state = journey.Events.Aggregate((Journey?)null, (s, e) => Journey.After(s, e.Id, e.Fact))!;
        var live = state.Sites.Where(s => s.Value is SiteState.Live or SiteState.Sustained or SiteState.Implementing or SiteState.Adopting).Select(s => s.Key).ToList();
        var latencies = new double[commands];
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < commands)
            {
                var body = $"{{\"type\":\"staff_trained\",\"siteId\":\"{live[i % live.Count]}\",\"count\":1,\"occurredAt\":{{\"value\":\"2024\",\"precision\":\"year\"}},\"provenance\":{{\"basis\":\"illustrative\"}}}}";
                var watch = Stopwatch.StartNew();
                var response = await client.PostAsync($"/api/innovations/{journey.InnovationId}/events", new StringContent(body, Encoding.UTF8, "application/json"));
                latencies[i] = watch.Elapsed.TotalMilliseconds;
                response.EnsureSuccessStatusCode();
            }
        }));
        total.Stop();
        Array.Sort(latencies);
        return new Result($"c. HTTP commands on one innovation ({journey.Events.Count} events, {live.Count} committed sites), {concurrency} concurrent clients",
            commands, total.Elapsed, commands / total.Elapsed.TotalSeconds, "commands/s", latencies[commands / 2], latencies[(int)(commands * 0.99)]);
    }

    public static async Task WriteAsync(string directory, int scale, IReadOnlyList<Result> results)
    {
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark results (scale {scale}, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        markdown.AppendLine();
        markdown.AppendLine("| Path | Count | Seconds | Rate | p50 ms | p99 ms |");
        markdown.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            markdown.AppendLine(CultureInfo.InvariantCulture, $"| {r.Path} | {r.Count} | {r.Elapsed.TotalSeconds:F2} | {r.Rate:F0} {r.Unit} | {r.P50Ms:F1} | {r.P99Ms:F1} |");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "results.md"), markdown.ToString());
        await File.WriteAllTextAsync(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(results, Indented));
    }
}
