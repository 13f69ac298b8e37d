using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys;

/// <summary>
/// Builds the journeys' ledgers once on a database written before they were documents of their own (until November
/// 2026 their sets were part of each <see cref="Journey"/> document): one that stores a fact that changes a ledger
/// but no ledger. It runs at start, before requests are served, so no command is decided against a missing ledger.
/// </summary>
public sealed class JourneyLedgerUpgrade(IDocumentStore store, IServiceProvider services, ILogger<JourneyLedgerUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    protected override string Projection => nameof(JourneyLedger);

    protected override string Lacking => "Facts that open, close or retract are stored but no journey ledger is";

    /// <summary>Whether the store holds a fact that changes a ledger and no ledger at all (the ledgers are looked for first: one found, nothing more is read).</summary>
    protected override NpgsqlCommand Check(NpgsqlConnection connection) => new(
        $"select case when exists (select 1 from {Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(JourneyLedger))}) then false " +
        $"else exists (select 1 from {Store.Options.Events.DatabaseSchemaName}.mt_events where type = any($1)) end", connection)
    {
        Parameters = { new() { Value = JourneyLedger.ChangedBy.Select(EventCatalogue.NameOf).ToArray() } },
    };
}
