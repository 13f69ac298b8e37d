using AdoptionEvents.ReadModels.Admin;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys;

/// <summary>
/// Rebuilds one projection once, at start and before requests are served, on a database whose documents were written
/// before the projection kept something decisions or retractions now read (<see cref="JourneyLedgerUpgrade"/>,
/// <see cref="JourneyUpgrade"/>, <see cref="Recording.EventIndexUpgrade"/>, ReadModels.SiteRegister.SiteRegisterUpgrade). <see cref="NeededAsync"/> is one query that says whether to.
/// </summary>
public abstract class StartupUpgrade(IDocumentStore store, IServiceProvider services, ILogger logger) : IHostedService
{
    protected IDocumentStore Store { get; } = store;

    /// <summary>The projection to rebuild.</summary>
    protected abstract string Projection { get; }

    /// <summary>What the database lacks, for the log.</summary>
    protected abstract string Lacking { get; }

    /// <summary>A query answering true when the rebuild is needed.</summary>
    protected abstract NpgsqlCommand Check(NpgsqlConnection connection);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await NeededAsync(cancellationToken))
        {
            return;
        }

        logger.LogWarning("{Lacking} (a database from before this version): rebuilding {Projection} once", Lacking, Projection);
        var report = await ProjectionAdminEndpoints.RebuildAsync([Projection], services, null, cancellationToken);
        logger.LogInformation("Rebuilt {Projection}: {Documents} documents from {Events} events in {Seconds:F1} s",
            Projection, report.Documents.Values.Sum(), report.Events, report.Duration.TotalSeconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool> NeededAsync(CancellationToken ct)
    {
        await using var connection = Store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = Check(connection);
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
