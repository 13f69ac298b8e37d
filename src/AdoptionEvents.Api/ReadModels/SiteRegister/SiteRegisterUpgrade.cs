using AdoptionEvents.Journeys;
using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.ReadModels.SiteRegister;

/// <summary>
/// Rebuilds the site register once on a database written before it counted each site's commissionings, or named the event a decline
/// or discontinuation reason comes from (until November 2026): an entry commissioned without <c>commissionings</c> would lose its flag
/// to the retraction of one of two commissionings, and a reason without its event would not take a correction. It runs at start,
/// before requests are served.
/// </summary>
public sealed class SiteRegisterUpgrade(IDocumentStore store, IServiceProvider services, ILogger<SiteRegisterUpgrade> logger) : StartupUpgrade(store, services, logger)
{
    protected override string Projection => Configuration.SiteRegister;

    protected override string Lacking => "Site register entries are commissioned without a count of their commissionings, or hold a reason without its event";

    protected override NpgsqlCommand Check(NpgsqlConnection connection) => new(
        $"select exists (select 1 from {Store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(SiteAdoption))} " +
        "where coalesce((data ->> 'commissioned')::boolean, false) and not (data ? 'commissionings') " +
        "or data ? 'declineReason' and not (data ? 'declineEventId') or data ? 'discontinuationReason' and not (data ? 'discontinuationEventId'))", connection);
}
