using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>
/// Rebuilds the event index once on a database written before a causal link named its journey and a withdrawn one its withdrawal
/// (until November 2026): without <c>innovationId</c> and <c>withdrawnBy</c> the change log cannot tell that a link or its withdrawal
/// was retracted. It runs at start, before requests are served.
/// </summary>
public sealed class EventIndexUpgrade(IDocumentStore store, IServiceProvider services, ILogger<EventIndexUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    protected override string Projection => ((StoreOptions)Store.Options).Projections.All
        .Single(p => p is JasperFx.Events.Projections.IProjectionWrapper { InnerProjection: EventIndexProjection }).Name;

    protected override string Lacking => "Causal links are stored without their journey, or withdrawn ones without their withdrawal";

    protected override NpgsqlCommand Check(NpgsqlConnection connection) => new(
        $"select exists (select 1 from {Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(CausalEdge))} " +
        "where not (data ? 'innovationId') or (data ->> 'withdrawnAt' is not null and not (data ? 'withdrawnBy')))", connection);
}
