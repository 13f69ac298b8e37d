using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events.Projections;
using Marten;

namespace AdoptionEvents.ReadModels;

public static class Configuration
{
    public const string InnovationSummaries = "InnovationSummaries";
    public const string SiteRegister = "SiteRegister";
    public const string ObservedMetrics = "ObservedMetrics";

    public const string CachedSitesSetting = "Projections:CachedSites";

    /// <summary>The site register's documents the daemon keeps in memory (<see cref="SiteAdoptionProjection(int)"/>); a negative value stops the start.</summary>
    public static int CachedSites(IConfiguration configuration)
    {
        var text = configuration[CachedSitesSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return SiteAdoptionProjection.DefaultCachedSites;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sites)
            ? sites
            : throw new Hosting.Database.StartupConfigurationException($"{CachedSitesSetting} is '{text}': it must be a whole number of sites, 0 or more (0: none kept)");
    }

    /// <summary>
    /// The views users read. Across streams, or heavy per stream, they are async (the daemon builds them);
    /// an event a projection cannot apply stops that projection rather than being skipped.
    /// </summary>
    public static void ConfigureReadModels(this StoreOptions options, StageThresholds thresholds, int cachedSites = SiteAdoptionProjection.DefaultCachedSites)
    {
        options.Projections.Add(new InnovationSummaryProjection(thresholds), ProjectionLifecycle.Async, InnovationSummaries, o =>
        {
            o.DeleteViewTypeOnTeardown<InnovationSummary>();
            o.DeleteViewTypeOnTeardown<SummarySite>();
            o.DeleteViewTypeOnTeardown<BarrierEntry>();
            o.DeleteViewTypeOnTeardown<SummaryMetric>();
        });
        options.Projections.Add(new SiteAdoptionProjection(cachedSites) { Name = SiteRegister }, ProjectionLifecycle.Async);
        options.Projections.Add(new ObservedMetricProjection(), ProjectionLifecycle.Async, ObservedMetrics);
        options.Projections.Errors.SkipApplyErrors = false;
        options.Projections.Errors.SkipSerializationErrors = false;
        options.Projections.Errors.SkipUnknownEvents = false;
        options.Projections.RebuildErrors.SkipApplyErrors = false;
        options.Projections.RebuildErrors.SkipSerializationErrors = false;
        // Numeric revisions, as when the summary was a SingleStreamProjection: a database built before keeps its table as it is.
        options.Schema.For<InnovationSummary>().UseNumericRevisions(true).Index(x => x.Stage).Index(x => x.Name);
        options.Schema.For<SummarySite>().Index(x => x.InnovationId).Index(x => x.SiteId);
        options.Schema.For<BarrierEntry>().Identity(x => x.EventId).Index(x => x.InnovationId);
        options.Schema.For<SummaryMetric>().Index(x => x.InnovationId);
        // Columns beside the JSON, not indexes on it: a site's row is rewritten by every fact about the site, and an index on
        // an expression over the body keeps PostgreSQL from updating the row in place (HOT); one on a column whose value
        // stays the same does not.
        options.Schema.For<SiteAdoption>().Duplicate(x => x.InnovationId).Duplicate(x => x.SiteId);
        options.Schema.For<ObservedMetric>().Index(x => x.InnovationId);
    }
}
