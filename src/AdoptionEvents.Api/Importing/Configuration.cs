namespace AdoptionEvents.Importing;

public static class Configuration
{
    /// <summary>Import (API job and CLI), the demo journeys loaded into an empty store, and the synthetic generator.</summary>
    public static WebApplicationBuilder AddImporting(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Importer>();
        builder.Services.AddSingleton<ImportJobs>();
        builder.Services.AddSingleton<DemoLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DemoLoader>());
        builder.Services.AddHostedService<SpoolSweep>();
        return builder;
    }

    /// <summary>
    /// At start-up, deletes uploads a process that stopped without running their jobs left in
    /// <c>Import:SpoolDirectory</c> more than a day ago (a job of a running process never waits that long).
    /// </summary>
    private sealed class SpoolSweep(IConfiguration configuration, TimeProvider clock, ILogger<SpoolSweep> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var directory = StartImportEndpoint.SpoolDirectory(configuration);
            if (ImportUpload.DeleteLeftovers(directory, clock.GetUtcNow() - TimeSpan.FromDays(1)) is > 0 and var deleted)
            {
                logger.LogWarning("Deleted {Count} import uploads left in {Directory} by a process that stopped before their jobs ran", deleted, directory);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
