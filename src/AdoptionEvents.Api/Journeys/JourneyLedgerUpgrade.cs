using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys;

/// <summary>
/// Builds the journeys' ledgers once on a database written before they were documents of their own (until November
/// 2026 their sets were part of each <see cref="Journey"/> document): one that stores a fact that changes a ledger
/// but no ledger; or before they held the corrections of each fact (<see cref="JourneyLedger.Corrections"/>): one that
/// stores a correction its journey's ledger does not list. It runs at start, before requests are served, so no command
/// is decided against a missing ledger, and no fact is read without its corrections.
/// </summary>
public sealed class JourneyLedgerUpgrade(IDocumentStore store, IServiceProvider services, ILogger<JourneyLedgerUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    protected override string Projection => nameof(JourneyLedger);

    protected override string Lacking => "Facts that open, close, correct or retract are stored but no journey ledger is, or a ledger lacks a stored correction";

    /// <summary>
    /// Whether the store holds a fact that changes a ledger and no ledger at all (the ledgers are looked for first: one found, that is not
    /// read), or a correction its journey's ledger does not list (the corrections read by their type).
    /// </summary>
    protected override NpgsqlCommand Check(NpgsqlConnection connection)
    {
        var ledgers = $"{Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(JourneyLedger))}";
        var events = $"{Store.Options.Events.DatabaseSchemaName}.mt_events";
        return new NpgsqlCommand(
            $"select case when exists (select 1 from {ledgers}) " +
            $"then exists (select 1 from {events} e where e.type = $2 and not exists (select 1 from {ledgers} l " +
            "where l.id = e.stream_id and l.data -> 'corrections' -> (e.data ->> 'correctedEventId') @> to_jsonb(e.id::text))) " +
            $"else exists (select 1 from {events} where type = any($1)) end", connection)
        {
            Parameters =
            {
                new() { Value = JourneyLedger.ChangedBy.Select(EventCatalogue.NameOf).ToArray() },
                new() { Value = EventCatalogue.NameOf(typeof(EventCorrected)) },
            },
        };
    }
}
