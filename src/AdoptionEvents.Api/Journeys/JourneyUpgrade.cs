using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys;

/// <summary>
/// Rebuilds the journeys' documents once on a database written before they kept what decisions now read of them (until
/// November 2026): the organisations that support the innovation and the engagements that made them supporters (without
/// them every programme lead could record for every journey, and a retracted engagement would still count), and the
/// retirement that stands (without it a retired journey stays retired when the retirement is retracted). It runs at start,
/// before requests are served; a journey document without <c>supporters</c> or <c>engagements</c>, or retired without
/// <c>retiredBy</c>, says it is needed.
/// </summary>
public sealed class JourneyUpgrade(IDocumentStore store, IServiceProvider services, ILogger<JourneyUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    protected override string Projection => ((StoreOptions)Store.Options).Projections.All.OfType<JourneyProjection>().Single().Name;

    protected override string Lacking => "Journeys are stored without the organisations that support them, their engagements or the retirement that stands";

    protected override NpgsqlCommand Check(NpgsqlConnection connection) => new(
        $"select exists (select 1 from {Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(Journey))} " +
        "where not (data ? 'supporters') or not (data ? 'engagements') or (coalesce((data ->> 'retired')::boolean, false) and not (data ? 'retiredBy')))", connection);
}
