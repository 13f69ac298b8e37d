using System.Text.Json;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.Configuration;
using static AdoptionEvents.UnitTests.ReadModels.Folding;
using ReadModelConfiguration = AdoptionEvents.ReadModels.Configuration;

namespace AdoptionEvents.UnitTests.ReadModels;

/// <summary>The site register's documents the daemon keeps in memory between pages (<see cref="SiteAdoptionProjection"/>).</summary>
public class SiteRegisterCacheTests
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };
    private static readonly Guid Site = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c1");

    private static PartialDate Y(int year) => new() { Value = year.ToString(System.Globalization.CultureInfo.InvariantCulture), Precision = DatePrecision.Year };

    private static IConfiguration Configuration(string? cachedSites) =>
        new ConfigurationBuilder().AddInMemoryCollection(cachedSites is null ? [] : [new(ReadModelConfiguration.CachedSitesSetting, cachedSites)]).Build();

    [Fact]
    public async Task A_page_of_events_is_applied_to_a_copy_so_the_document_kept_in_memory_stays_as_committed()
    {
        var kept = Site(Site,
            new AdopterAware { SiteId = Site, OccurredAt = Y(2010), Provenance = Stated },
            new StaffTrained { SiteId = Site, Count = 3, Role = "nurses", OccurredAt = Y(2011), Provenance = Stated })!;
        var asCommitted = JsonSerializer.Serialize(kept);
        IReadOnlyList<JasperFx.Events.IEvent> page =
        [
            Wrap(new StaffTrained { SiteId = Site, Count = 2, Role = "nurses", OccurredAt = Y(2012), Provenance = Stated }, 3),
            Wrap(new AdaptationMade { SiteId = Site, Component = "venue", Adaptation = "community hall", OccurredAt = Y(2012), Provenance = Stated }, 4),
            Wrap(new KnowledgeShared { SiteId = Site, ToSiteId = Guid.CreateVersion7(), How = "site visit", OccurredAt = Y(2013), Provenance = Stated }, 5),
            Wrap(new AdoptionConsidered { SiteId = Site, OccurredAt = Y(2013), Provenance = Stated }, 6),
        ];

        // The daemon's call for one site's events in a page; the register's folds need neither the session nor the identity setter.
        var (next, action) = await new SiteAdoptionProjection(100).DetermineActionAsync(null!, kept, kept.Id, null!, page, TestContext.Current.CancellationToken);

        action.ShouldBe(ActionType.Store);
        next.ShouldNotBeNull().ShouldNotBeSameAs(kept);
        (next.StaffTrained, next.Adaptations.Count, next.SharedWith.Count, next.State, next.Transitions.Count).ShouldBe((5, 1, 1, SiteState.Considering, 2));
        JsonSerializer.Serialize(kept).ShouldBe(asCommitted);
    }

    [Fact]
    public void The_daemon_keeps_the_sites_it_is_told_to_and_the_folds_keep_none()
    {
        new SiteAdoptionProjection(2_500).Options.CacheLimitPerTenant.ShouldBe(2_500);
        new SiteAdoptionProjection().Options.CacheLimitPerTenant.ShouldBe(0);
    }

    [Theory]
    [InlineData(null, SiteAdoptionProjection.DefaultCachedSites)]
    [InlineData("0", 0)]
    [InlineData("50000", 50_000)]
    public void The_setting_says_how_many_sites_are_kept(string? setting, int sites) =>
        ReadModelConfiguration.CachedSites(Configuration(setting)).ShouldBe(sites);

    [Theory]
    [InlineData("-1")]
    [InlineData("lots")]
    [InlineData("1.5")]
    public void A_value_that_is_no_count_of_sites_stops_the_start_naming_the_setting(string setting) =>
        Should.Throw<StartupConfigurationException>(() => ReadModelConfiguration.CachedSites(Configuration(setting)))
            .Message.ShouldBe($"Projections:CachedSites is '{setting}': it must be a whole number of sites, 0 or more (0: none kept)");
}
