using AdoptionEvents.Journeys;
using Marten;

namespace AdoptionEvents.Importing;

/// <summary>The built-in demo journeys: eight King's Fund journeys shipped inside the API (Importing/Demo).</summary>
public static class DemoData
{
    public const string ResourceName = "AdoptionEvents.Importing.Demo.kings-fund-journeys.json";

    public static byte[] Bytes()
    {
        using var stream = typeof(DemoData).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the demo data set {ResourceName} is not embedded in the API");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static ImportBatch Batch()
    {
        using var stream = new MemoryStream(Bytes());
        return ExportFormat.ReadAny(stream);
    }
}

/// <summary>
/// Loads the demo journeys after startup when the store holds no journey (<see cref="LoadsWhenEmpty"/>), as an import job that
/// GET /api/imports lists.
/// </summary>
public sealed class DemoLoader(ImportJobs jobs, IDocumentStore store, IConfiguration configuration, IHostEnvironment environment, IHostApplicationLifetime lifetime, ILogger<DemoLoader> logger) : IHostedService
{
    public const string Setting = "Demo:LoadWhenEmpty";

    /// <summary>
    /// Whether an empty store gets the demo journeys: <see cref="Setting"/> when it is set, else only in Development. Nothing
    /// stored is ever deleted, so demo journeys loaded into a production store would stay in its history for good: a deployed
    /// API (the image runs in Production) loads them only when told to.
    /// </summary>
    public static bool LoadsWhenEmpty(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue(Setting, environment.IsDevelopment());

    /// <summary>The demo load started after start-up (completed at once when it is off), for callers that must wait for it.</summary>
    public Task Loaded { get; private set; } = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!LoadsWhenEmpty(configuration, environment))
        {
            logger.LogInformation("Demo journeys not loaded: {Setting} is false ({Environment}: its default is true in Development only)", Setting, environment.EnvironmentName);
            return Task.CompletedTask;
        }

        lifetime.ApplicationStarted.Register(() => Loaded = LoadAsync(lifetime.ApplicationStopping));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task LoadAsync(CancellationToken ct)
    {
        try
        {
            await using var session = store.QuerySession();
            if (await session.Query<Journey>().AnyAsync(ct))
            {
                logger.LogInformation("Demo journeys not loaded: the store already holds journeys");
                return;
            }

            var id = jobs.Start(ImportUpload.Of(DemoData.Bytes()), "demo journeys (King's Fund)", new ImportOptions("demo-loader"));
            logger.LogInformation("The store is empty: loading the demo journeys as import {JobId}", id);
            await jobs.WaitAsync(id);
            var view = jobs.Find(id)!;
            logger.LogInformation("Demo journeys: {Status}, {Events} events written", view.Status, view.Report?.EventsWritten ?? 0);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Loading the demo journeys failed");
        }
    }
}
