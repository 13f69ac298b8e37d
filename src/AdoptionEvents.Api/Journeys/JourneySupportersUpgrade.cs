using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys;

/// <summary>
/// Rebuilds the journeys' documents once on a database written before they named the innovation's supporters (until
/// November 2026): without them every programme lead could record for every journey, whichever network supports it.
/// It runs at start, before requests are served; a journey document without <c>supporters</c> says it is needed.
/// </summary>
public sealed class JourneySupportersUpgrade(IDocumentStore store, IServiceProvider services, ILogger<JourneySupportersUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    protected override string Projection => ((StoreOptions)Store.Options).Projections.All.OfType<JourneyProjection>().Single().Name;

    protected override string Lacking => "Journeys are stored without the organisations that support them";

    protected override NpgsqlCommand Check(NpgsqlConnection connection) => new(
        $"select exists (select 1 from {Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(Journey))} where not (data ? 'supporters'))", connection);
}
