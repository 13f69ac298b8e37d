using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>
/// Rebuilds the event index once on a database written before a causal link named its journey and a withdrawn one its withdrawal, or
/// before a corrected fact kept its entry as corrected (until November 2026): without <c>innovationId</c> and <c>withdrawnBy</c> the
/// change log cannot tell that a link or its withdrawal was retracted, and without the entry it shows a corrected fact as recorded. It
/// runs at start, before requests are served; the check reads the stored corrections (a scan of the events' types).
/// </summary>
public sealed class EventIndexUpgrade(IDocumentStore store, IServiceProvider services, ILogger<EventIndexUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    private static readonly string CorrectionType = EventCatalogue.NameOf(typeof(Corrections.EventCorrected));

    protected override string Projection => ((StoreOptions)Store.Options).Projections.All
        .Single(p => p is JasperFx.Events.Projections.IProjectionWrapper { InnerProjection: EventIndexProjection }).Name;

    protected override string Lacking => "Causal links are stored without their journey, or withdrawn ones without their withdrawal, or corrected facts without their entry";

    protected override NpgsqlCommand Check(NpgsqlConnection connection) => new(
        $"select exists (select 1 from {Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(CausalEdge))} " +
        "where not (data ? 'innovationId') or (data ->> 'withdrawnAt' is not null and not (data ? 'withdrawnBy'))) " +
        $"or exists (select 1 from {Store.Options.Events.DatabaseSchemaName}.mt_events e where e.type = '{CorrectionType}' and not exists (select 1 from " +
        $"{Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(IndexedEvent))} i where i.id = (e.data ->> 'correctedEventId')::uuid and i.data ->> 'corrected' = 'true'))",
        connection);
}
