using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Importing;
using AdoptionEvents.Journeys;
using Npgsql;
using NpgsqlTypes;

namespace AdoptionEvents.Benchmarks;

/// <summary>The paths of issue 9, each measured through what a user or an operator would use (HTTP, the database for a).</summary>
public static class Bench
{
    // How often a timed path asks whether its work is done: the answer is late by half of it on average, so it is kept
    // short beside the seconds measured (a poll is one small GET or query).
    private static readonly TimeSpan TimedPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>a. The ceiling: the same event rows, binary COPY into a table shaped and indexed like mt_events (logged, like it).</summary>
    public static async Task<PathResult> RawCopyAsync(string connectionString, ImportBatch batch, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await ExecuteAsync(connection, """
            drop schema if exists bench_ceiling cascade;
            create schema bench_ceiling;
            create table bench_ceiling.events (
                seq_id bigint not null primary key, id uuid not null, stream_id uuid not null, version bigint not null, data jsonb not null,
                type varchar not null, timestamp timestamptz not null default now(), tenant_id varchar default '*DEFAULT*', mt_dotnet_type varchar,
                is_archived bool default false, correlation_id varchar, causation_id varchar, headers jsonb, user_name varchar);
            create unique index on bench_ceiling.events (stream_id, version);
            """, ct);

        var rows = batch.Journeys.SelectMany(j => j.Events.Select((e, i) => (Stream: j.InnovationId, Version: i + 1L, Event: e))).ToList();
        var json = rows.Select(r => JsonSerializer.Serialize(r.Event.Fact, r.Event.Fact.GetType(), Json.Options)).ToList();
        var types = rows.Select(r => EventCatalogue.Of(r.Event.Fact).Name).ToList();
        var watch = Stopwatch.StartNew();
        await using (var importer = await connection.BeginBinaryImportAsync("copy bench_ceiling.events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived, user_name, headers) from stdin (format binary)", ct))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync((long)i + 1, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(rows[i].Event.Id, NpgsqlDbType.Uuid, ct);
                await importer.WriteAsync(rows[i].Stream, NpgsqlDbType.Uuid, ct);
                await importer.WriteAsync(rows[i].Version, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(json[i], NpgsqlDbType.Jsonb, ct);
                await importer.WriteAsync(types[i], NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz, ct);
                await importer.WriteAsync("*DEFAULT*", NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(rows[i].Event.Fact.GetType().FullName!, NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                await importer.WriteAsync("bench", NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync("{}", NpgsqlDbType.Jsonb, ct);
            }

            await importer.CompleteAsync(ct);
        }

        var elapsed = watch.Elapsed;
        await ExecuteAsync(connection, "drop schema bench_ceiling cascade", ct);
        var rate = rows.Count / elapsed.TotalSeconds;
        return new PathResult
        {
            Id = "a", Name = "raw Npgsql binary COPY of the same event rows (ceiling)",
            Figure = $"{rate:N0} events/s ({rows.Count:N0} events in {elapsed.TotalSeconds:F1} s)",
            Figures = new() { ["events"] = rows.Count, ["seconds"] = elapsed.TotalSeconds, ["eventsPerSecond"] = rate },
            Method = "every journey event of the batch b imports, serialised beforehand, written with one binary COPY into a logged table with mt_events' columns and its keys (primary key seq_id, unique stream_id+version; no foreign key to a streams table), in the same cluster; the clock runs around the COPY only.",
        };
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// b. POST each export file to /api/imports (bulk) in turn and wait for its job, then wait until every
    /// async projection has applied the last event. Past the box the path is reported incomplete.
    /// </summary>
    public static async Task<PathResult> ImportAsync(HttpClient client, IReadOnlyList<string> files, long events, TimeSpan box, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var figures = new Dictionary<string, double>();
        var jobs = 0;
        foreach (var file in files)
        {
            Uri job;
            await using (var body = File.OpenRead(file))
            {
                using var content = new StreamContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await client.PostAsync("/api/imports?bulk=always", content, ct);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"POST /api/imports answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                }

                job = response.Headers.Location ?? throw new InvalidOperationException("POST /api/imports gave no Location");
            }

            JsonElement view;
            do
            {
                await Task.Delay(TimedPoll, ct);
                view = await GetJsonAsync(client, job.ToString(), ct);
            }
            while (Word(view, "status") is "queued" or "running" && watch.Elapsed < box);

            if (Word(view, "status") is "queued" or "running")
            {
                var progress = view.GetProperty("progress");
                return new PathResult
                {
                    Id = "b", Name = "bulk import through the product, all projections built", Status = "incomplete",
                    Figure = $"under {events / watch.Elapsed.TotalSeconds:N0} events/s: import job {jobs + 1} of {files.Count} still in phase {progress.GetProperty("phase")} ({progress.GetProperty("eventsWritten")} events written) when the {box.TotalSeconds:F0} s box ended; the paths after b ran on a partial data set",
                    Figures = figures, Target = "≥ 50 % of a", Pass = false, Method = Method,
                };
            }

            if (Word(view, "status") != "succeeded")
            {
                throw new InvalidOperationException($"the import ended {view.GetProperty("status")}: {Excerpt(view)}");
            }

            jobs++;
            if (view.TryGetProperty("report", out var report) && report.TryGetProperty("phaseSeconds", out var phases) && phases.ValueKind == JsonValueKind.Object)
            {
                foreach (var phase in phases.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number))
                {
                    figures[$"importPhaseSeconds.{phase.Name}"] = figures.GetValueOrDefault($"importPhaseSeconds.{phase.Name}") + phase.Value.GetDouble();
                }
            }
        }

        var imported = watch.Elapsed;
        var (caughtUp, lowest, high) = await CatchUpAsync(client, box - watch.Elapsed, ct);
        var elapsed = watch.Elapsed;
        var rate = events / elapsed.TotalSeconds;
        figures["events"] = events;
        figures["seconds"] = elapsed.TotalSeconds;
        figures["importJobSeconds"] = imported.TotalSeconds;
        figures["catchUpSeconds"] = (elapsed - imported).TotalSeconds;
        figures["eventsPerSecond"] = rate;
        figures["slowestProjectionSequence"] = lowest;
        figures["highWaterMark"] = high;
        var phasesText = string.Join(", ", figures.Where(f => f.Key.StartsWith("importPhaseSeconds.", StringComparison.Ordinal)).Select(f => $"{f.Key["importPhaseSeconds.".Length..]} {f.Value:F1}"));
        return new PathResult
        {
            Id = "b", Name = "bulk import through the product, all projections built",
            Status = caughtUp ? "measured" : "incomplete",
            Figure = caughtUp
                ? $"{rate:N0} events/s ({events:N0} events in {elapsed.TotalSeconds:F1} s: import jobs {imported.TotalSeconds:F1} s ({phasesText}), projections caught up {(elapsed - imported).TotalSeconds:F1} s later)"
                : $"under {rate:N0} events/s: the import jobs took {imported.TotalSeconds:F1} s ({phasesText}) and the slowest projection was at {lowest:N0} of {high:N0} when the {box.TotalSeconds:F0} s box ended",
            Figures = figures,
            Target = "≥ 50 % of a",
            Method = Method,
        };
    }

    private const string Method = "the batch written as the product's export files (NDJSON; the large journey, then the network; not timed), then timed from the first POST /api/imports?bulk=always on the API process, through each job's success (polled), until GET /api/admin/projections shows every async projection with lag 0 (polled every 50 ms).";

    /// <summary>Waits until every async projection has no lag; false at the deadline. Also the slowest projection's position and the high-water mark.</summary>
    public static async Task<(bool CaughtUp, long Lowest, long High)> CatchUpAsync(HttpClient client, TimeSpan within, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var projections = (await GetJsonAsync(client, "/api/admin/projections", ct)).EnumerateArray().Where(p => Word(p, "lifecycle") == "async").ToList();
            var lowest = projections.Select(p => p.TryGetProperty("sequence", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0).DefaultIfEmpty(0).Min();
            var high = projections.Select(p => (p.TryGetProperty("sequence", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0)
                + (p.TryGetProperty("lag", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt64() : 0)).DefaultIfEmpty(0).Max();
            if (projections.All(p => p.TryGetProperty("lag", out var l) && l.ValueKind == JsonValueKind.Number && l.GetInt64() == 0))
            {
                return (true, lowest, high);
            }

            if (watch.Elapsed >= within)
            {
                return (false, lowest, high);
            }

            await Task.Delay(TimedPoll, ct);
        }
    }

    /// <summary>Waits until every shard ("Name:Key" rows of mt_event_progression: projections and subscriptions) has reached the last event; null, or the shards behind.</summary>
    public static async Task<string?> ShardsBehindAsync(string connectionString, string schema, TimeSpan within, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select name, last_seq_id, (select max(seq_id) from {schema}.mt_events) from {schema}.mt_event_progression where name like '%:%' and last_seq_id < (select max(seq_id) from {schema}.mt_events)",
            connection);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var behind = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    behind.Add($"{reader.GetString(0)} at {reader.GetInt64(1)} of {reader.GetInt64(2)}");
                }
            }

            if (behind.Count == 0)
            {
                return null;
            }

            if (watch.Elapsed > within)
            {
                return string.Join(", ", behind);
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>d. Every projection rebuilt in one pass through the admin endpoint (POST /api/admin/projections/rebuild).</summary>
    public static async Task<PathResult> RebuildAsync(HttpClient client, TimeSpan box, CancellationToken ct)
    {
        var names = (await GetJsonAsync(client, "/api/admin/projections", ct)).EnumerateArray()
            .Where(p => !p.GetProperty("name").GetString()!.Contains("Organisation", StringComparison.Ordinal))
            .Select(p => p.GetProperty("name").GetString()!).ToList();
        // Untimed warm-up, as c has: a fresh process compiles each endpoint's generated code (Roslyn) at its first
        // request. Asking for a job that does not exist compiles the status endpoint polled below and warms the
        // compiler, which otherwise competed with the first seconds of the build for the two cores.
        using (var warm = await client.GetAsync($"/api/admin/rebuilds/{Guid.Empty}", ct))
        {
            if (warm.StatusCode != HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException($"the warm-up answered {(int)warm.StatusCode}, not 404");
            }
        }

        var watch = Stopwatch.StartNew();
        using var response = await client.PostAsync("/api/admin/projections/rebuild", null, ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"rebuild answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }

        var job = response.Headers.Location!.ToString();
        JsonElement view;
        do
        {
            await Task.Delay(TimedPoll, ct);
            view = await GetJsonAsync(client, job, ct);
        }
        while (Word(view, "status") == "running" && watch.Elapsed < box);

        var elapsed = watch.Elapsed.TotalSeconds;
        var target = view.GetProperty("target").GetInt64();
        var applied = view.GetProperty("applied").GetInt64();
        var status = Word(view, "status");
        if (status is not ("running" or "completed"))
        {
            throw new InvalidOperationException($"rebuild ended {view.GetProperty("status")}: {Excerpt(view)}");
        }

        var figures = new Dictionary<string, double>
        {
            ["projections"] = names.Count, ["storeEvents"] = target, ["seconds"] = elapsed, ["storeEventsPerSecond"] = applied / elapsed,
        };
        return new PathResult
        {
            Id = "d", Name = $"full rebuild of every projection ({names.Count}: {string.Join(", ", names)}) in one pass",
            Status = status == "completed" ? "measured" : "incomplete",
            Figure = status == "completed"
                ? $"{target / elapsed:N0} events/s ({target:N0} store events, every projection rebuilt in {elapsed:F1} s)"
                : $"incomplete: {applied:N0} of {target:N0} events folded when the {box.TotalSeconds:F0} s box ended ({applied / elapsed:N0} events/s so far)",
            Figures = figures,
            Target = "≥ 30,000 events/s",
            Method = "on a freshly started API process, after one untimed GET of an unknown rebuild job (404: it compiles the polled endpoint's generated code, which a fresh process does at an endpoint's first request): POST /api/admin/projections/rebuild (every projection but the organisation snapshot: the async read models and the inline decision state, ledger, site states and event index, folded in one pass over the events and written by COPY), polling the job every 50 ms until completed; the figure is the store's journey events (the job's target) divided by the time from the request to the completed job.",
        };
    }

    /// <summary>
    /// e. GET as-of at the journey's end (every event counts: what the record shows now, answered from the kept fold),
    /// at one date inside it asked again (e.cut), and at ten successive month-ends inside it, each a cut not asked
    /// before (e.step: folded on from the nearest kept fold of a prefix). A warm-up, then N timed requests, body read.
    /// </summary>
    public static async Task<IReadOnlyList<PathResult>> AsOfAsync(HttpClient client, Guid innovationId, int events, int runs, TimeSpan box, CancellationToken ct) =>
    [
        await AsOfAsync(client, innovationId, events, "2025-12-31", [], "e", $"as-of replay of the {events:N0}-event journey at its end (every event counts)", runs, box, ct),
        await AsOfAsync(client, innovationId, events, "2024-12-31", [], "e.cut", $"as-of replay of the {events:N0}-event journey at one date inside it, asked again", runs, box, ct),
        await AsOfAsync(client, innovationId, events, "2023-12-31", [.. Enumerable.Range(1, runs).Select(m => new DateOnly(2024, 1, 1).AddMonths(m).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))],
            "e.step", $"as-of replay of the {events:N0}-event journey stepping through month-ends inside it, each a new cut", runs, box, ct),
    ];

    private static async Task<PathResult> AsOfAsync(HttpClient client, Guid innovationId, int events, string warmUp, IReadOnlyList<string> steps, string id, string name, int runs, TimeSpan box, CancellationToken ct)
    {
        var box0 = Stopwatch.StartNew();
        string Url(string occurredBy) => $"/api/innovations/{innovationId}/as-of?occurredBy={occurredBy}";
        // Every body is read into one buffer, sized by the warm-up: a new array of the body's size per request would land
        // on the large object heap, and the harness's collection of those paused a timed request (95 ms, measured).
        var buffer = new MemoryStream();
        async Task ReadBodyAsync(HttpResponseMessage response)
        {
            response.EnsureSuccessStatusCode();
            buffer.SetLength(0);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await body.CopyToAsync(buffer, ct);
        }

        int EventsIncluded()
        {
            using var json = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            return json.RootElement.GetProperty("eventsIncluded").GetInt32();
        }

        using (var first = await client.GetAsync(Url(warmUp), HttpCompletionOption.ResponseHeadersRead, ct))
        {
            await ReadBodyAsync(first);
        }

        var included = new List<int> { EventsIncluded() };

        var times = new List<double>();
        var (pause, collections) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0));
        for (var i = 0; i < runs && (i == 0 || box0.Elapsed < box); i++)
        {
            var watch = Stopwatch.StartNew();
            using (var response = await client.GetAsync(Url(steps.Count == 0 ? warmUp : steps[i % steps.Count]), HttpCompletionOption.ResponseHeadersRead, ct))
            {
                await ReadBodyAsync(response);
            }

            times.Add(watch.Elapsed.TotalMilliseconds);
            if (steps.Count > 0)
            {
                included.Add(EventsIncluded());
            }
        }

        var (harnessPauseMs, harnessCollections) = ((GC.GetTotalPauseDuration() - pause).TotalMilliseconds, GC.CollectionCount(0) - collections);
        var samples = times.Select(t => Math.Round(t, 1)).ToList();
        times.Sort();
        var median = Percentile(times, 0.5);
        var cut = times.Count < runs ? $"; {times.Count} of {runs} runs fitted in the {box.TotalSeconds:F0} s box" : "";
        var counted = steps.Count == 0 ? $"{included[0]:N0}" : $"{included[1]:N0} to {included[^1]:N0}";
        var dates = steps.Count == 0 ? $"occurredBy={warmUp}" : $"occurredBy={steps[0]} to {steps[Math.Min(steps.Count, times.Count) - 1]} (month-ends; warm-up at {warmUp})";
        return new PathResult
        {
            Id = id, Name = name,
            Figure = $"median {median:F0} ms, slowest {times[^1]:F0} ms of {times.Count} ({counted} of {events:N0} events included{cut}; the harness paused {harnessPauseMs:F0} ms in {harnessCollections} collections meanwhile)",
            Figures = new()
            {
                ["medianMs"] = median, ["slowestMs"] = times[^1], ["fastestMs"] = times[0], ["runs"] = times.Count, ["eventsIncluded"] = included[^1],
                ["harnessPauseMs"] = harnessPauseMs, ["harnessCollections"] = harnessCollections,
            },
            Samples = samples,
            Target = "≤ 200 ms (slowest)", Pass = times[^1] <= 200,
            Method = $"GET /api/innovations/{{id}}/as-of?{dates} over a socket, one untimed warm-up request, then {runs} sequential timed requests including reading the body (into one reused buffer: the harness's collections during them are in the figures); before the command path adds events.",
        };
    }

    /// <summary>The body of a staff_trained command; always legal at a site with a committed state.</summary>
    public static string StaffTrained(Guid site) =>
        $"{{\"type\":\"staff_trained\",\"siteId\":\"{site}\",\"count\":1,\"role\":\"practice nurse\",\"occurredAt\":{{\"value\":\"2025-11\",\"precision\":\"month\"}},\"provenance\":{{\"basis\":\"illustrative\"}}}}";

    /// <summary>What the untimed warm-up before c sent: commands answered, and their p99 (the first seconds of a process compile its code).</summary>
    public sealed record WarmUp(TimeSpan Duration, int Commands, double P99Ms);

    /// <summary>
    /// c's warm-up: the same load as c for a while, not counted. A fresh process compiles every method of the command path,
    /// the daemon and the relay on first use (tiered compilation is off), which in the first 5 s took p99 to 300-500 ms.
    /// </summary>
    public static async Task<WarmUp> CommandWarmUpAsync(HttpClient client, Guid innovationId, IReadOnlyList<Guid> sites, int concurrency, TimeSpan duration, CancellationToken ct)
    {
        // One command alone first: the endpoint's handler is generated and compiled on its first request (seconds), and the load's time starts after it.
        await CommandLoadAsync(client, innovationId, sites, 1, TimeSpan.Zero, ct);
        var load = await CommandLoadAsync(client, innovationId, sites, concurrency, duration, ct);
        if (load.Failures.Count > 0)
        {
            throw new InvalidOperationException($"c's warm-up was refused {load.Failures.Values.Sum()} times, first: {load.FirstFailure}");
        }

        return new WarmUp(duration, load.Latencies.Count, Percentile(load.Latencies, 0.99));
    }

    /// <summary>c. Concurrent clients POST staff_trained at committed sites of the large journey for a fixed time.</summary>
    public static async Task<(PathResult Result, List<(Guid EventId, DateTimeOffset At)> Commits)> CommandsAsync(
        HttpClient client, Guid innovationId, IReadOnlyList<Guid> sites, int eventsBefore, int concurrency, TimeSpan duration, WarmUp warmUp, CancellationToken ct)
    {
        var load = await CommandLoadAsync(client, innovationId, sites, concurrency, duration, ct);
        var sorted = load.Latencies;
        var rate = sorted.Count / load.Elapsed.TotalSeconds;
        var p50 = Percentile(sorted, 0.5);
        var p99 = Percentile(sorted, 0.99);
        var failed = load.Failures.Values.Sum();
        var result = new PathResult
        {
            Id = "c", Name = $"HTTP commands on one innovation ({sites.Count:N0} committed sites, {eventsBefore:N0} events before), {concurrency} clients",
            Figure = $"{rate:N0} commands/s, p50 {p50:F0} ms, p99 {p99:F0} ms ({sorted.Count:N0} in {load.Elapsed.TotalSeconds:F1} s" + (failed > 0 ? $"; {failed} refused: {string.Join(", ", load.Failures.Select(f => $"{f.Value}×{f.Key}"))}, first: {load.FirstFailure}" : "") + $"; after a {warmUp.Duration.TotalSeconds:F0} s warm-up of {warmUp.Commands:N0} commands, p99 {warmUp.P99Ms:F0} ms)",
            Figures = new()
            {
                ["commands"] = sorted.Count, ["seconds"] = load.Elapsed.TotalSeconds, ["commandsPerSecond"] = rate, ["p50Ms"] = p50, ["p99Ms"] = p99, ["maxMs"] = sorted.Count > 0 ? sorted[^1] : 0, ["failed"] = failed, ["concurrency"] = concurrency,
                ["warmUpSeconds"] = warmUp.Duration.TotalSeconds, ["warmUpCommands"] = warmUp.Commands, ["warmUpP99Ms"] = warmUp.P99Ms,
            },
            // The most the API answers; its latency target is judged at the target's rate (c.rate): with clients that wait for
            // each answer, latency at saturation is the number of clients over the throughput.
            Target = "≥ 1,000 commands/s (p99 ≤ 50 ms is c.rate's, at 1,000/s)",
            Pass = failed == 0 && rate >= 1000,
            Method = $"{concurrency} clients over real sockets (Kestrel on a loopback port, a pooled connection each) POST /api/innovations/{{id}}/events with staff_trained at committed sites of the large journey, each sending its next command when the previous answered, for {duration.TotalSeconds:F0} s after an untimed warm-up: one command alone (the endpoint's handler is generated on its first request), then the same load for {warmUp.Duration.TotalSeconds:F0} s (its count and p99 are in the figures: a fresh process compiles its code on first use); latency from send to the whole response read; throughput = successful commands / elapsed; the relay publishes every event to RabbitMQ meanwhile when a broker runs. The harness runs the timed part in a no-GC region (GC.TryStartNoGCRegion, 1 GiB), so that no collection of its own pauses the clients in flight; the console says what it allocated and whether the region held.",
        };
        return (result, load.Commits);
    }

    private sealed record CommandLoad(List<double> Latencies, List<(Guid EventId, DateTimeOffset At)> Commits, Dictionary<int, int> Failures, string? FirstFailure, TimeSpan Elapsed);

    // The clients of c: each posts its next command when the previous one answered, until the time is up.
    private static async Task<CommandLoad> CommandLoadAsync(HttpClient client, Guid innovationId, IReadOnlyList<Guid> sites, int concurrency, TimeSpan duration, CancellationToken ct)
    {
        var url = $"/api/innovations/{innovationId}/events";
        var next = -1;
        var failures = new ConcurrentDictionary<int, int>();
        string? firstFailure = null;
        var total = Stopwatch.StartNew();
        // Each client keeps its own small lists (a few thousand entries each), merged after the run: shared collections
        // that grow by doubling end up on the large object heap, and the harness's collections of it would pause the
        // clients in the middle of timed commands.
        var clients = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var (latencies, commits) = (new List<double>(), new List<(Guid, DateTimeOffset)>());
            // Every client sends at least one command.
            do
            {
                var i = Interlocked.Increment(ref next);
                using var content = new StringContent(StaffTrained(sites[i % sites.Count]), Encoding.UTF8, "application/json");
                var watch = Stopwatch.StartNew();
                using var response = await client.PostAsync(url, content, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                var elapsed = watch.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    failures.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    Interlocked.CompareExchange(ref firstFailure, $"{(int)response.StatusCode} {body[..Math.Min(300, body.Length)]}", null);
                    continue;
                }

                latencies.Add(elapsed);
                if (EventIdOf(body) is { } id)
                {
                    commits.Add((id, DateTimeOffset.UtcNow));
                }
            }
            while (total.Elapsed < duration);

            return (latencies, commits);
        }));
        var elapsed = total.Elapsed;
        return new CommandLoad([.. clients.SelectMany(c => c.latencies).Order()], [.. clients.SelectMany(c => c.commits)], new Dictionary<int, int>(failures), firstFailure, elapsed);
    }

    /// <summary>
    /// c.rate. Commands offered at a fixed rate whatever the answers do (an open load), each timed from the moment it was due,
    /// not from when it could be sent: a server that falls behind shows it in the figures instead of slowing its clients.
    /// c's closed clients measure the most the API answers; this measures the latency at the target's rate.
    /// </summary>
    public static async Task<(PathResult Result, IReadOnlyList<(double Due, double Latency)> Timeline)> PacedCommandsAsync(HttpClient client, Guid innovationId, IReadOnlyList<Guid> sites,
        int rate, TimeSpan warmUp, TimeSpan duration, Action timedFromHere, CancellationToken ct)
    {
        var url = $"/api/innovations/{innovationId}/events";
        var untimed = (int)(rate * warmUp.TotalSeconds);
        var count = untimed + (int)(rate * duration.TotalSeconds);
        var interval = 1000.0 / rate;
        // One slot per command, written by its own task: no shared collection grows while commands are in flight.
        var latencies = new double[count];
        var failures = new ConcurrentDictionary<int, int>();
        string? firstFailure = null;
        var (inFlight, mostInFlight, latestSend) = (0, 0, 0.0);
        var sends = new Task[count];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = i * interval;
            if (due - clock.Elapsed.TotalMilliseconds is var ahead and >= 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(ahead), ct);
            }

            if (i == untimed)
            {
                timedFromHere();
            }

            if (i >= untimed)
            {
                latestSend = Math.Max(latestSend, clock.Elapsed.TotalMilliseconds - due);
            }

            var slot = i;
            sends[i] = Task.Run(() => SendAsync(slot, due), ct);
        }

        await Task.WhenAll(sends);
        var elapsed = clock.Elapsed - TimeSpan.FromMilliseconds(untimed * interval);

        async Task SendAsync(int i, double due)
        {
            var now = Interlocked.Increment(ref inFlight);
            if (i >= untimed)
            {
                InterlockedMax(ref mostInFlight, now);
            }

            try
            {
                using var content = new StringContent(StaffTrained(sites[(i * 13) % sites.Count]), Encoding.UTF8, "application/json");
                using var response = await client.PostAsync(url, content, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                latencies[i] = clock.Elapsed.TotalMilliseconds - due;
                if (!response.IsSuccessStatusCode)
                {
                    latencies[i] = double.NaN;
                    failures.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    Interlocked.CompareExchange(ref firstFailure, $"{(int)response.StatusCode} {body[..Math.Min(300, body.Length)]}", null);
                }
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        var sorted = latencies.Skip(untimed).Where(l => !double.IsNaN(l)).Order().ToList();
        var warm = latencies.Take(untimed).Where(l => !double.IsNaN(l)).Order().ToList();
        var failed = failures.Values.Sum();
        var answered = sorted.Count / elapsed.TotalSeconds;
        var (p50, p99) = (Percentile(sorted, 0.5), Percentile(sorted, 0.99));
        var (slow, bursts, longestBurst) = Bursts(latencies.AsSpan(untimed), interval);
        var result = new PathResult
        {
            Id = "c.rate", Name = $"HTTP commands on the same innovation offered at {rate:N0} a second",
            Figure = $"{answered:N0} commands/s answered of {rate:N0} offered, p50 {p50:F0} ms, p99 {p99:F0} ms, slowest {(sorted.Count > 0 ? sorted[^1] : 0):F0} ms ({sorted.Count:N0} in {elapsed.TotalSeconds:F1} s; at most {mostInFlight} in flight"
                + (untimed > 0 ? $"; after a {warmUp.TotalSeconds:F0} s warm-up at the same rate, p99 {Percentile(warm, 0.99):F0} ms" : "")
                + (failed > 0 ? $"; {failed} refused: {string.Join(", ", failures.Select(f => $"{f.Value}×{f.Key}"))}, first: {firstFailure}" : "")
                + $"; {slow:N0} over {SlowMs} ms, in {bursts} bursts, the longest {longestBurst:F0} ms)",
            Figures = new()
            {
                ["offeredPerSecond"] = rate, ["commands"] = sorted.Count, ["seconds"] = elapsed.TotalSeconds, ["commandsPerSecond"] = answered, ["p50Ms"] = p50, ["p99Ms"] = p99,
                ["maxMs"] = sorted.Count > 0 ? sorted[^1] : 0, ["failed"] = failed, ["mostInFlight"] = mostInFlight, ["latestSendMs"] = latestSend,
                ["warmUpCommands"] = warm.Count, ["warmUpP99Ms"] = Percentile(warm, 0.99),
                ["slowCommands"] = slow, ["slowBursts"] = bursts, ["longestBurstMs"] = longestBurst,
            },
            Target = "p99 ≤ 50 ms at 1,000 commands/s (or more) offered",
            Pass = failed == 0 && rate >= 1000 && answered >= rate * 0.95 && p99 <= 50,
            Method = $"after c, once the projections and the relay have passed on c's backlog: staff_trained commands at committed sites of the large journey, one due every {interval:F2} ms, each sent when due on its own task whatever the earlier ones are doing (an open load: no client waits for an answer before the next is sent), over the same client as c (at most 64 pooled connections). The first {warmUp.TotalSeconds:F0} s ({untimed:N0} commands) are a warm-up at the same rate, in which the client opens the connections it needs beyond c's 32; they are reported apart and left out of the figures, as c's warm-up is. Then {count - untimed:N0} commands over {duration.TotalSeconds:F0} s are timed, without a pause between the two; latency from the moment a command was due to the whole response read, so a late send counts against the API (the latest send was {latestSend:F1} ms after its time); passes when nothing is refused, at least 95 % of the offered rate is answered and p99 ≤ 50 ms. The harness runs it in a no-GC region as c; c-rate.csv beside the results has every command's due time from the first timed one (negative: the warm-up) and latency (NaN: refused).",
        };
        return (result, [.. latencies.Select((l, i) => ((i - untimed) * interval, l))]);
    }

    private const double SlowMs = 50;

    /// <summary>
    /// The commands slower than <see cref="SlowMs"/>, and how they come: a burst is a run of them due less than 20 ms apart
    /// (every command in flight held up at once, as a stall does), its length from the first one's due time to the last one's.
    /// </summary>
    private static (int Slow, int Bursts, double LongestMs) Bursts(ReadOnlySpan<double> latencies, double interval)
    {
        var (slow, bursts, longest) = (0, 0, 0.0);
        double? start = null, last = null;
        for (var i = 0; i < latencies.Length; i++)
        {
            if (!(latencies[i] > SlowMs))
            {
                continue;
            }

            var due = i * interval;
            slow++;
            if (last is null || due - last > 20)
            {
                bursts++;
                start = due;
            }

            last = due;
            longest = Math.Max(longest, due - start!.Value);
        }

        return (slow, bursts, longest);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }

    /// <summary>f. Commands one at a time, paced; each event's lag from its recorded time (and from the HTTP answer) to the consumer.</summary>
    public static async Task<PathResult> LagAsync(HttpClient client, LagConsumer consumer, Guid innovationId, IReadOnlyList<Guid> sites, int count, TimeSpan interval,
        IReadOnlyList<(Guid EventId, DateTimeOffset At)> underLoad, CancellationToken ct)
    {
        var url = $"/api/innovations/{innovationId}/events";
        var answered = new List<(Guid EventId, DateTimeOffset At)>();
        var sending = Stopwatch.StartNew();
        for (var i = 0; i < count && sending.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            using var content = new StringContent(StaffTrained(sites[(i * 7) % sites.Count]), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(url, content, ct);
            var at = DateTimeOffset.UtcNow;
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode && EventIdOf(body) is { } id)
            {
                answered.Add((id, at));
            }

            await Task.Delay(interval, ct);
        }

        var wanted = answered.Concat(underLoad).ToList();
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(30) && wanted.Any(w => !consumer.Received.ContainsKey(w.EventId)))
        {
            await Task.Delay(100, ct);
        }

        (List<double> FromRecorded, List<double> FromAnswer, int Missing) Lags(IReadOnlyList<(Guid EventId, DateTimeOffset At)> sent)
        {
            var got = sent.Where(s => consumer.Received.ContainsKey(s.EventId)).Select(s => (s.At, Receipt: consumer.Received[s.EventId])).ToList();
            return ([.. got.Select(g => (g.Receipt.ReceivedAt - g.Receipt.RecordedAt).TotalMilliseconds).Order()],
                [.. got.Select(g => (g.Receipt.ReceivedAt - g.At).TotalMilliseconds).Order()], sent.Count - got.Count);
        }

        var (paced, pacedAnswer, missing) = Lags(answered);
        var (loaded, _, missingUnderLoad) = Lags(underLoad);
        var p50 = Percentile(paced, 0.5);
        var p99 = Percentile(paced, 0.99);
        var figures = new Dictionary<string, double>
        {
            ["events"] = answered.Count, ["missing"] = missing, ["p50Ms"] = p50, ["p99Ms"] = p99, ["maxMs"] = paced.Count > 0 ? paced[^1] : 0,
            ["fromAnswerP50Ms"] = Percentile(pacedAnswer, 0.5), ["fromAnswerP99Ms"] = Percentile(pacedAnswer, 0.99),
            ["underLoadEvents"] = underLoad.Count, ["underLoadMissing"] = missingUnderLoad, ["underLoadP50Ms"] = Percentile(loaded, 0.5), ["underLoadP99Ms"] = Percentile(loaded, 0.99),
        };
        return new PathResult
        {
            Id = "f", Name = "subscription lag from commit to a RabbitMQ consumer",
            Figure = $"p50 {p50:F0} ms, p99 {p99:F0} ms over {paced.Count} paced commands" + (missing > 0 ? $" ({missing} never arrived within 30 s)" : "")
                + $"; from the HTTP answer p50 {figures["fromAnswerP50Ms"]:F0} ms, p99 {figures["fromAnswerP99Ms"]:F0} ms"
                + (underLoad.Count > 0 ? $"; under c's load p50 {figures["underLoadP50Ms"]:F0} ms, p99 {figures["underLoadP99Ms"]:F0} ms over {loaded.Count:N0}" + (missingUnderLoad > 0 ? $" ({missingUnderLoad} missing)" : "") : ""),
            Figures = figures,
            Target = "p99 ≤ 500 ms", Pass = missing == 0 && paced.Count > 0 && p99 <= 500,
            Method = $"a consumer (RabbitMQ.Client, a queue bound with '#' to the topic exchange) stamps each CloudEvent on arrival; after c and once the relay has passed on c's backlog (every shard at the last event), {count} staff_trained commands one at a time, {interval.TotalMilliseconds:F0} ms apart; lag = arrival − the CloudEvent's time (the event's timestamp recorded by PostgreSQL at append; same machine clock), also shown from the HTTP 200; the same lag is reported for every command of c (under load). The API runs with Integration:WakeDaemonOnAppend on.",
        };
    }

    private static Guid? EventIdOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("events", out var events) && events.GetArrayLength() > 0 && events[0].TryGetProperty("id", out var id) ? id.GetGuid() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url, CancellationToken ct)
    {
        using var response = await client.GetAsync(url, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body[..Math.Min(500, body.Length)]}");
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    /// <summary>An enum or status word, compared without case or underscores (the API writes snake_case).</summary>
    private static string Word(JsonElement e, string property) =>
        e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant()
            : "";

    private static string Excerpt(JsonElement e)
    {
        var text = e.GetRawText();
        return text[..Math.Min(800, text.Length)];
    }

    public static string Format(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
