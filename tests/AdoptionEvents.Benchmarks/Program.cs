using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Importing;
using Alba;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace AdoptionEvents.Benchmarks;

/// <summary>The load harness: end-to-end paths measured side by side on one database, results as markdown and JSON.</summary>
public static class LoadHarness
{
    public static async Task Main(string[] args)
    {
        var scale = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        var output = args.Length > 1 ? args[1] : "benchmark-results";
        Directory.CreateDirectory(output);
        var results = new List<Result>();

        var directory = Path.Combine(Path.GetTempPath(), $"adoption-events-bench-{Guid.NewGuid():N}");
        IPostgresCandidate[] candidates =
        [
            new ConfiguredConnectionString(Environment.GetEnvironmentVariable("ADOPTIONEVENTS_BENCH_CONNECTION_STRING"), "ADOPTIONEVENTS_BENCH_CONNECTION_STRING"),
            new LocalPostgresCluster(new LocalClusterOptions { Directory = directory, Ephemeral = true }),
        ];
        await using var database = await PostgresProvisioner.ProvisionAsync(candidates, NullLogger.Instance, CancellationToken.None);
        // The in-process host needs the API's content root; this harness is not a test project, so say where it is.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !Directory.Exists(Path.Combine(root.FullName, "src", "AdoptionEvents.Api")))
        {
            root = root.Parent;
        }

        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ADOPTIONEVENTS_API", Path.Combine(root!.FullName, "src", "AdoptionEvents.Api"));
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var host = await AlbaHost.For<global::Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:AdoptionEvents", database.ConnectionString);
            builder.UseSetting("Database:Schema", "bench");
            builder.UseSetting("Demo:LoadWhenEmpty", "false");
            builder.UseSetting("Authentication:DevelopmentSigningKey", key);
            builder.UseSetting("RateLimiting:PermitLimit", "100000000");
            builder.UseEnvironment("Development");
        });
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var batch = SyntheticNetwork.Generate(scale);
        var events = batch.EventCount;
        Console.WriteLine($"Synthetic network x{scale}: {batch.Journeys.Count} journeys, {events} events");

        // a. The ceiling: raw binary COPY of the same event rows into a table shaped like mt_events.
        results.Add(await Bench.RawCopyAsync(database.ConnectionString, batch));

        // b. Bulk import through the product, every projection built (inline documents written, async ones caught up).
        var watch = Stopwatch.StartNew();
        var report = await host.Services.GetRequiredService<Importer>().ImportAsync(batch, new ImportOptions("bench", BulkMode.Always), null, CancellationToken.None);
        if (report.Outcome != ImportOutcome.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", report.Problems.Take(3)));
        }

        await host.ForceAllMartenDaemonActivityToCatchUpAsync(CancellationToken.None);
        results.Add(new Result("b. bulk import through the product, all projections built", events, watch.Elapsed, events / watch.Elapsed.TotalSeconds, "events/s"));

        // d. Full rebuild of every async projection.
        watch.Restart();
        await AdoptionEvents.ReadModels.Admin.ProjectionAdminEndpoints.RebuildAsync(["InnovationSummaries", "SiteRegister", "ObservedMetrics"], host.Services, null, CancellationToken.None);

        results.Add(new Result("d. rebuild of the 3 async projections (events read per projection, summed)", events * 3, watch.Elapsed, events * 3 / watch.Elapsed.TotalSeconds, "events/s"));

        // e and c: the largest journey.
        var largest = batch.Journeys.MaxBy(j => j.Events.Count)!;
        var token = host.Services.GetRequiredService<DevelopmentTokenSource>().Tokens!.Mint("bench", [Roles.Admin], [], DateTimeOffset.UtcNow, TimeSpan.FromHours(2));
        var client = host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        results.Add(await Bench.AsOfAsync(client, largest.InnovationId, largest.Events.Count));
        results.Add(await Bench.CommandsAsync(client, largest, concurrency: 8, commands: 800));

        await Bench.WriteAsync(output, scale, results);
        foreach (var r in results)
        {
            Console.WriteLine(r);
        }
    }
}
