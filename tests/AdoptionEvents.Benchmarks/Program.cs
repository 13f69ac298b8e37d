using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AdoptionEvents.Benchmarks;

/// <summary>
/// The load harness of issue 9: every end-to-end path measured side by side on one machine and one
/// database, the API run as a child process the way it is deployed (configured by environment
/// variables, commands over Kestrel), results as markdown and JSON. Options: deploy/scripts/benchmarks.sh.
/// </summary>
public static class LoadHarness
{
    private const string Schema = "bench";

    /// <summary>What the harness may allocate during c without collecting (it needs a few hundred MiB).</summary>
    private const long HarnessNoGcBudget = 1L << 30;

    public static async Task<int> Main(string[] args)
    {
        var options = HarnessOptions.Parse(args);
        var output = Path.GetFullPath(options.Output);
        Directory.CreateDirectory(output);
        using var stop = new CancellationTokenSource();
        // Ctrl+C or SIGTERM cancels the run; the finally blocks stop the API process, the broker and the cluster.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        var wall = Stopwatch.StartNew();
        var machine = Machine.Describe(options.Commit);
        var results = new List<PathResult>();
        var notes = new List<string>();
        var exit = 0;
        try
        {
            await RunAsync(options, output, machine, results, notes, stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || stop.IsCancellationRequested)
        {
            notes.Add(stop.IsCancellationRequested ? "The run was interrupted." : $"The run stopped: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e);
            exit = 1;
        }

        foreach (var id in HarnessOptions.AllPaths.Where(p => results.All(r => r.Id != p)))
        {
            results.Add(PathResult.NotRun(id, id, options.Runs(id) ? "not reached (see notes)" : "not selected (--only)"));
        }

        var ordered = results.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        await Report.WriteAsync(output, machine, options, ordered, notes, wall.Elapsed);
        Console.WriteLine($"Wrote {Path.Combine(output, "results.md")} and results.json in {wall.Elapsed.TotalSeconds:F0} s");
        return exit;
    }

    private static async Task RunAsync(HarnessOptions options, string output, Machine machine, List<PathResult> results, List<string> notes, CancellationToken ct)
    {
        if (!HarnessOptions.AllPaths.Any(options.Runs))
        {
            return;
        }

        var root = RepositoryRoot();
        var script = Path.Combine(root, "deploy", "scripts", "local-rabbitmq.sh");
        var brokerStart = options.Broker && (options.Runs("c") || options.Runs("f")) ? Broker.StartAsync(script, ct) : null;
        Broker? broker = null;
        var cluster = Path.Combine(Path.GetTempPath(), $"adoption-events-harness-{Guid.NewGuid():N}");
        string[] files = [cluster + "-journey.ndjson", cluster + "-network.ndjson"];
        try
        {
            IPostgresCandidate[] candidates =
            [
                new ConfiguredConnectionString(Environment.GetEnvironmentVariable("ADOPTIONEVENTS_BENCH_CONNECTION_STRING"), "ADOPTIONEVENTS_BENCH_CONNECTION_STRING"),
                new LocalPostgresCluster(new LocalClusterOptions { Directory = cluster, Ephemeral = true, Settings = StatementStats.PreloadSettings() }),
            ];
            await using var database = await PostgresProvisioner.ProvisionAsync(candidates, NullLogger.Instance, ct);
            machine.PostgreSql = await ServerVersionAsync(database.ConnectionString, ct);
            await DropEarlierRunAsync(database.ConnectionString, ct);
            // The harness's own cluster, or a configured one on this machine whose data directory can be read here.
            var metered = await DataDirectoryAsync(database.ConnectionString, ct);

            var (a, events, journey) = await GenerateAsync(options, database.ConnectionString, files, results, notes, ct);
            if (!options.NeedsApi)
            {
                return;
            }

            // Collected now, untimed: the generated data set is written and only the large journey's summary is kept, so that the
            // harness's own collection of it cannot land inside a timed request (it held 330-470 MiB through c, e and f before).
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

            var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var settings = new ApiSettings(ApiSettings.FindDll(options.ApiDll), database.ConnectionString, Schema, key, null, output);
            var token = await ApiProcess.CommandAsync(settings, ["token", "--role", "admin", "--name", "benchmark", "--hours", "6"], ct);

            // b: one API process imports; every async projection catches up before the next process starts.
            await using (var api = await ApiProcess.StartAsync(settings, "import", ct))
            using (var client = api.Client(token))
            {
                Console.WriteLine($"b. import of {events:N0} events through POST /api/imports");
                var b = await Bench.ImportAsync(client, [.. files.Where(File.Exists)], events, options.Runs("b") ? options.ImportBox : TimeSpan.FromHours(1), ct);
                Console.WriteLine($"   {b.Figure}");
                if (options.Runs("b"))
                {
                    results.Add(WithRatio(b, a, "eventsPerSecond", 0.5));
                }

                // Untimed: with no broker configured the integration relay does not run here; the process of c and f (which has
                // one) starts it at the high-water mark (RelayOrigin), so it publishes what c and f append. ShardsBehindAsync
                // below reports whether any projection lags.
                if (b.Status != "measured")
                {
                    notes.Add("b was cut by its time box: the import process stopped with its work unfinished, so d, c, e and f ran on what it had written and the next process's daemon went on catching up meanwhile.");
                }
                else if (await Bench.ShardsBehindAsync(database.ConnectionString, Schema, TimeSpan.FromMinutes(1), ct) is { } behind)
                {
                    notes.Add($"Shards behind the last imported event when the import process stopped: {behind}; c and f may include their backlog.");
                }
            }

            if (options.Runs("d"))
            {
                await using var api = await ApiProcess.StartAsync(settings, "rebuild", ct);
                using var client = api.Client(token);
                Console.WriteLine("d. rebuild of every async projection");
                await using var memory = new MemorySampler(api.Pid);
                var d = await Bench.RebuildAsync(client, options.RebuildBox, ct);
                var peak = await memory.PeakAsync();
                d = WithRatio(d, a, "storeEventsPerSecond", null);
                d = d with { Pass = d.Status == "measured" && d.Figures["storeEventsPerSecond"] >= 30_000 };
                results.Add(d);
                results.Add(MemoryResult("d", peak, memory.HighWaterMarkReset));
                Console.WriteLine($"   {d.Figure}; peak working set {Report.MiB(peak)}");
                if (await Bench.ShardsBehindAsync(database.ConnectionString, Schema, TimeSpan.FromMinutes(1), ct) is { } behind)
                {
                    notes.Add($"Shards behind the last event when the rebuild process stopped: {behind}; c and f may include their backlog.");
                }
            }

            if (options.Runs("c") || options.Runs("e") || options.Runs("f"))
            {
                string? whyNoBroker = options.Broker ? null : "--broker off";
                if (brokerStart is not null)
                {
                    (broker, whyNoBroker) = await brokerStart;
                    brokerStart = null;
                }

                if (whyNoBroker is not null)
                {
                    notes.Add($"The command process ran without a broker ({whyNoBroker}): the relay published nothing during c and c.rate.");
                }
                else if (broker is not null && options.Runs("c"))
                {
                    notes.Add("The relay published every event of c and c.rate to the broker as they were committed, and the harness's consumer received them (`--broker off` measures the command path without them).");
                }

                await using var api = await ApiProcess.StartAsync(settings with { RabbitMqUri = broker?.Uri }, "commands", ct);
                using var client = api.Client(token, options.Concurrency * 2);
                await using var consumer = broker is null ? null : await LagConsumer.OpenAsync(broker.Uri, ApiSettings.Exchange, ct);
                if (options.Runs("e"))
                {
                    Console.WriteLine("e. as-of replay");
                    foreach (var e in await Bench.AsOfAsync(client, journey.InnovationId, journey.Events, options.AsOfRuns, options.AsOfBox, ct))
                    {
                        results.Add(e);
                        Console.WriteLine($"   {e.Id}: {e.Figure}");
                    }
                }

                var sites = journey.Sites;
                var commits = new List<(Guid EventId, DateTimeOffset At)>();
                if (options.Runs("c"))
                {
                    Console.WriteLine($"c. commands from {options.Concurrency} clients for {options.CommandDuration.TotalSeconds:F0} s, after {options.CommandWarmUp.TotalSeconds:F0} s of warm-up");
                    // The peak working set covers the warm-up too; the processor time is the timed run's alone.
                    await using var memory = new MemorySampler(api.Pid);
                    var warmUp = await Bench.CommandWarmUpAsync(client, journey.InnovationId, sites, options.Concurrency, options.CommandWarmUp, ct);
                    // The harness times each command from outside: a collection of its own would pause every client in flight and
                    // be counted as the API's latency (22-30 collections, 190-290 ms in all, per run before). So c runs in a no-GC
                    // region of 1 GiB, which it needs a few hundred MiB of; the harness collects once c is over.
                    var quiet = GC.TryStartNoGCRegion(HarnessNoGcBudget);
                    var (harnessPause, harnessGcs, harnessFull, harnessAllocated) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalAllocatedBytes());
                    var cpu = new CpuMeter(api.Pid, metered, broker?.Pid);
                    var (c, committed) = await Bench.CommandsAsync(client, journey.InnovationId, sites, journey.Events + warmUp.Commands, options.Concurrency, options.CommandDuration, warmUp, ct);
                    var spent = cpu.Elapsed();
                    var harness = $"the harness allocated {(GC.GetTotalAllocatedBytes() - harnessAllocated) >> 20} MiB and paused {(GC.GetTotalPauseDuration() - harnessPause).TotalMilliseconds:F0} ms in {GC.CollectionCount(0) - harnessGcs} collections ({GC.CollectionCount(2) - harnessFull} of gen 2) during c";
                    var held = quiet && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
                    if (held)
                    {
                        GC.EndNoGCRegion();
                    }

                    var peak = await memory.PeakAsync();
                    commits = committed;
                    results.Add(c);
                    results.Add(MemoryResult("c", peak, memory.HighWaterMarkReset));
                    results.Add(CpuResult(spent, c));
                    Console.WriteLine($"   {c.Figure}; peak working set {Report.MiB(peak)}; {results[^1].Figure}");
                    Console.WriteLine($"   {harness}; its no-GC region {(held ? "held" : quiet ? "ran out" : "could not start")}");

                    if (options.CommandRate > 0)
                    {
                        await PacedAsync(options, output, api.Pid, metered, broker?.Pid, database.ConnectionString, client, journey, results, notes, ct);
                    }
                }

                if (options.Runs("f"))
                {
                    if (consumer is null)
                    {
                        results.Add(PathResult.NotRun("f", "subscription lag from commit to a RabbitMQ consumer", whyNoBroker ?? "no broker"));
                    }
                    else
                    {
                        // The paced figure is the lag of a quiet system: the relay first passes on c's backlog (its lag under load is reported apart).
                        var drain = Stopwatch.StartNew();
                        if (await Bench.ShardsBehindAsync(database.ConnectionString, Schema, TimeSpan.FromMinutes(2), ct) is { } behind)
                        {
                            notes.Add($"Shards still behind 2 minutes after c, before f's paced commands: {behind}.");
                        }
                        else if (options.Runs("c"))
                        {
                            notes.Add($"After c, the relay and projections took {drain.Elapsed.TotalSeconds:F1} s to pass on c's backlog before f's paced commands.");
                        }

                        Console.WriteLine($"f. lag of {options.LagCommands} paced commands to the RabbitMQ consumer");
                        var f = await Bench.LagAsync(client, consumer, journey.InnovationId, sites, options.LagCommands, options.LagInterval, commits, ct);
                        results.Add(f);
                        Console.WriteLine($"   {f.Figure}");
                    }
                }
            }
        }
        finally
        {
            foreach (var file in files)
            {
                File.Delete(file);
            }

            if (brokerStart is not null)
            {
                (broker, _) = await brokerStart;
            }

            if (broker is not null)
            {
                await broker.DisposeAsync();
            }
        }
    }

    /// <summary>What c, e and f need of the large journey once it is imported.</summary>
    private sealed record JourneyTarget(Guid InnovationId, int Events, List<Guid> Sites);

    /// <summary>
    /// Generates the data set, runs a on it and writes the import files; returns a's result, the number of events written and
    /// the large journey's summary. Nothing else of the data set outlives this method.
    /// </summary>
    private static async Task<(PathResult? A, int Events, JourneyTarget Journey)> GenerateAsync(
        HarnessOptions options, string connectionString, string[] files, List<PathResult> results, List<string> notes, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var large = LargeJourney.Generate(options.Sites, options.Events);
        var network = options.NeedsNetwork ? SyntheticNetwork.Generate(options.Scale) : null;
        var batch = network is null ? large : new ImportBatch(
            "synthetic", [.. network.Organisations.Concat(large.Organisations).DistinctBy(o => o.Id)], [.. network.Journeys, .. large.Journeys], []);
        var journey = large.Journeys[0];
        Console.WriteLine($"Generated {batch.Journeys.Count:N0} journeys, {batch.EventCount:N0} events (network x{(network is null ? 0 : options.Scale)} and one journey of {options.Sites:N0} sites / {journey.Events.Count:N0} events) in {watch.Elapsed.TotalSeconds:F1} s");
        notes.Add($"Data: {(network is null ? "" : $"synthetic network x{options.Scale} ({network.Journeys.Count:N0} journeys, {network.EventCount:N0} events) + ")}the large journey ({options.Sites:N0} sites, {journey.Events.Count:N0} events): {batch.EventCount:N0} journey events and {batch.Organisations.Count:N0} organisations.");

        PathResult? a = null;
        if (options.Runs("a"))
        {
            Console.WriteLine("a. raw COPY ceiling");
            a = await Bench.RawCopyAsync(connectionString, batch, ct);
            results.Add(a);
            Console.WriteLine($"   {a.Figure}");
        }

        if (options.NeedsApi)
        {
            // The large journey first, so c, e and f have it even when the network's import is cut by b's box.
            ImportBatch[] parts = network is null ? [large] : [large, network];
            for (var i = 0; i < parts.Length; i++)
            {
                await using var writer = new StreamWriter(files[i]);
                await ExportFormat.WriteAsync(writer, parts[i], SyntheticNetwork.RecordedAt, "benchmark", ct);
            }
        }

        return (a, batch.EventCount, new JourneyTarget(journey.InnovationId, journey.Events.Count, options.NeedsApi ? CommittedSites(journey) : []));
    }

    private static PathResult WithRatio(PathResult path, PathResult? a, string figure, double? passAt)
    {
        if (a is null || !path.Figures.TryGetValue(figure, out var value))
        {
            return path;
        }

        var ratio = value / a.Figures["eventsPerSecond"];
        return path with { RatioToA = ratio, Pass = passAt is { } p ? path.Status == "measured" && ratio >= p : path.Pass };
    }

    /// <summary>c.rate, once the read models and the relay have passed on c's backlog, so that it starts on a steady system.</summary>
    private static async Task PacedAsync(HarnessOptions options, string output, int apiPid, string? dataDirectory, int? brokerPid, string connectionString, HttpClient client, JourneyTarget journey,
        List<PathResult> results, List<string> notes, CancellationToken ct)
    {
        var drain = Stopwatch.StartNew();
        if (await Bench.ShardsBehindAsync(connectionString, Schema, TimeSpan.FromMinutes(2), ct) is { } behind)
        {
            notes.Add($"Shards still behind 2 minutes after c, before c.rate: {behind}.");
        }

        Console.WriteLine($"c.rate. commands offered at {options.CommandRate:N0}/s for {options.RateDuration.TotalSeconds:F0} s, after {options.RateWarmUp.TotalSeconds:F0} s of warm-up (c's backlog passed on in {drain.Elapsed.TotalSeconds:F1} s)");
        // PostgreSQL's statements are counted in the warm-up only (at the same rate), so that counting costs the timed part nothing.
        var statements = new StatementStats(connectionString);
        var counting = options.RateWarmUp > TimeSpan.Zero && await statements.StartAsync(ct);
        var warmUpCommands = (int)(options.CommandRate * options.RateWarmUp.TotalSeconds);
        Task<string>? counted = null;
        var quiet = GC.TryStartNoGCRegion(HarnessNoGcBudget);
        var collections = GC.CollectionCount(0);
        CpuMeter? cpu = null;
        var (paced, timeline) = await Bench.PacedCommandsAsync(client, journey.InnovationId, journey.Sites, options.CommandRate, options.RateWarmUp, options.RateDuration,
            () =>
            {
                cpu = new CpuMeter(apiPid, dataDirectory, brokerPid);
                counted = counting ? Task.Run(() => statements.StopAsync(warmUpCommands, $"c.rate's warm-up ({options.RateWarmUp.TotalSeconds:F0} s at {options.CommandRate:N0} commands/s)", ct), ct) : null;
            }, ct);
        var spent = (cpu ?? new CpuMeter(apiPid, dataDirectory, brokerPid)).Elapsed();
        var held = quiet && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        if (held)
        {
            GC.EndNoGCRegion();
        }

        // Every command's due time and latency, to see whether the slow ones come together (a pause) or alone.
        await File.WriteAllLinesAsync(Path.Combine(output, "c-rate.csv"), ["due_ms,latency_ms", .. timeline.Select(t => FormattableString.Invariant($"{t.Due:F2},{t.Latency:F2}"))], ct);
        if (counted is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(output, "pg-statements-c-rate.md"), await counted, ct);
            notes.Add("PostgreSQL's statements per command at c.rate's rate (counted in its warm-up): pg-statements-c-rate.md.");
        }
        else
        {
            notes.Add($"PostgreSQL's statements were not counted: {statements.Refusal ?? "c.rate has no warm-up"}.");
        }

        results.Add(paced);
        results.Add(CpuResult(spent, paced));
        Console.WriteLine($"   {paced.Figure}; {results[^1].Figure}");
        Console.WriteLine($"   the harness's collections during c.rate: {GC.CollectionCount(0) - collections}; its no-GC region {(held ? "held" : quiet ? "ran out" : "could not start")}");
    }

    /// <summary>CPU per command under c or c.rate, of each process on the machine that works for it: what caps throughput on a machine this size.</summary>
    private static PathResult CpuResult(CpuSpent spent, PathResult c)
    {
        var commands = Math.Max(1, c.Figures.GetValueOrDefault("commands"));
        var seconds = Math.Max(0.001, c.Figures.GetValueOrDefault("seconds"));
        var figures = new Dictionary<string, double>();
        var parts = new List<string>();
        foreach (var (name, key, value) in new[] { ("API", "api", (double?)spent.Api), ("PostgreSQL", "postgres", spent.Postgres), ("broker", "broker", spent.Broker), ("harness", "harness", spent.Harness) })
        {
            if (value is { } v)
            {
                figures[$"{key}CpuMsPerCommand"] = v * 1000 / commands;
                figures[$"{key}Cores"] = v / seconds;
                parts.Add($"{name} {v * 1000 / commands:F2} ms ({v / seconds:F2} cores)");
            }
        }

        return new PathResult
        {
            Id = $"{c.Id}.cpu", Name = $"CPU per command under {c.Id}", Figure = string.Join(", ", parts), Figures = figures,
            Method = $"utime + stime over {c.Id}'s timed run (after its warm-up), divided by its commands: from /proc/<pid>/stat of the API process (it includes the daemon's projections and the relay working on {c.Id}'s events as they come), of the local cluster's postmaster and its children, of the private RabbitMQ node's Erlang VM (when the harness started it), and, from the runtime (Environment.CpuUsage), of the harness itself (its clients and its RabbitMQ consumer). Informational: it tells builds apart on a shared machine, where throughput moves with other load, and shows where the cores went.",
        };
    }

    private static PathResult MemoryResult(string under, long peak, bool hwm) => new()
    {
        Id = $"{under}.mem", Name = $"peak working set of the API process under {under}",
        Figure = Report.MiB(peak), Figures = new() { ["peakBytes"] = peak },
        Target = "< 1 GiB", Pass = peak < 1L << 30,
        Method = hwm
            ? $"/proc/<pid>/status of the API process: VmHWM reset through /proc/<pid>/clear_refs when {under} starts and read when it ends, and VmRSS sampled every 100 ms; the larger."
            : $"/proc/<pid>/status of the API process: VmRSS sampled every 100 ms during {under} (the kernel's peak could not be reset here).",
    };

    /// <summary>Sites where staff_trained is legal at the journey's end.</summary>
    private static List<Guid> CommittedSites(ImportedJourney journey)
    {
        var state = journey.Events.Aggregate((Journey?)null, (s, e) => Journey.After(s, e.Id, e.Fact))!;
        var probe = new StaffTrained { OccurredAt = new PartialDate { Value = "2025", Precision = DatePrecision.Year }, Provenance = new Provenance { Basis = Basis.Illustrative }, SiteId = Guid.Empty, Count = 1 };
        return [.. state.Sites.Where(s => SiteTransitions.Next(s.Value.State, probe).Refusal is null).Select(s => s.Key).Order()];
    }

    private static async Task<string> ServerVersionAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("show server_version", connection);
        return $"PostgreSQL {await command.ExecuteScalarAsync(ct)}";
    }

    /// <summary>The server's data directory, when it is on this machine and this user may read its postmaster.pid; else null.</summary>
    private static async Task<string?> DataDirectoryAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("show data_directory", connection);
            return await command.ExecuteScalarAsync(ct) is string directory && File.Exists(Path.Combine(directory, "postmaster.pid")) ? directory : null;
        }
        catch (PostgresException)
        {
            // Not a superuser (nor pg_read_all_settings): PostgreSQL's processor time is not reported.
            return null;
        }
    }

    /// <summary>
    /// A configured database may hold an earlier run's schemas: its journeys would be imported again as appends to streams
    /// that exist, its shards would resume from old marks, and every figure would depend on what was left behind.
    /// </summary>
    private static async Task DropEarlierRunAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"drop schema if exists {Schema} cascade; drop schema if exists {Schema}_wolverine cascade", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "scripts", "local-rabbitmq.sh")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository root (deploy/scripts) was not found above the harness");
    }
}
