using AdoptionEvents.ReadModels.Admin;
using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys.SiteAdoption;

/// <summary>
/// Rebuilds the site statuses once on a database written before each kept the changes of its state that stand (until
/// November 2026 a status held only the state): without them a retraction cannot take a site's change back. It runs at
/// start, before requests are served; the statuses are folded again from the events.
/// </summary>
public sealed class SiteStatusUpgrade(IDocumentStore store, IServiceProvider services, ILogger<SiteStatusUpgrade> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await NeededAsync(cancellationToken))
        {
            return;
        }

        logger.LogWarning("Site statuses are stored without their changes of state (a database from before site retractions): rebuilding them once");
        var name = ((StoreOptions)store.Options).Projections.All.OfType<SiteStatusProjection>().Single().Name;
        var report = await ProjectionAdminEndpoints.RebuildAsync([name], services, null, cancellationToken);
        logger.LogInformation("Rebuilt {Statuses} site statuses from {Events} events in {Seconds:F1} s",
            report.Documents.Values.Sum(), report.Events, report.Duration.TotalSeconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether any stored site status lacks its list of changes (the scan stops at the first).</summary>
    public async Task<bool> NeededAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select exists (select 1 from {store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(SiteStatus))} where not (data ? 'moves'))", connection);
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
