using AdoptionEvents.ReadModels.Admin;
using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys;

/// <summary>
/// Builds the journeys' ledgers once on a database written before they were documents of their own (until November
/// 2026 their sets were part of each <see cref="Journey"/> document): one that stores a fact that changes a ledger
/// but no ledger. It runs at start, before requests are served, so no command is decided against a missing ledger.
/// </summary>
public sealed class JourneyLedgerUpgrade(IDocumentStore store, IServiceProvider services, ILogger<JourneyLedgerUpgrade> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await NeededAsync(cancellationToken))
        {
            return;
        }

        logger.LogWarning("Facts that open, close or retract are stored but no journey ledger is (a database from before the ledgers): building them once");
        var report = await ProjectionAdminEndpoints.RebuildAsync([nameof(JourneyLedger)], services, null, cancellationToken);
        logger.LogInformation("Built {Ledgers} journey ledgers from {Events} events in {Seconds:F1} s",
            report.Documents.Values.Sum(), report.Events, report.Duration.TotalSeconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether the store holds a fact that changes a ledger and no ledger at all (the ledgers are looked for first: one found, nothing more is read).</summary>
    public async Task<bool> NeededAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select case when exists (select 1 from {store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(JourneyLedger))}) then false " +
            $"else exists (select 1 from {store.Options.Events.DatabaseSchemaName}.mt_events where type = any($1)) end", connection)
        {
            Parameters = { new() { Value = JourneyLedger.ChangedBy.Select(EventCatalogue.NameOf).ToArray() } },
        };
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
