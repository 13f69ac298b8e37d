using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using static AdoptionEvents.UnitTests.ReadModels.Folding;

namespace AdoptionEvents.UnitTests.ReadModels;

public class StageRulesTests
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };
    private static readonly Guid Origin = Guid.Parse("0195a3f0-0000-7000-8000-0000000000b0");

    private static PartialDate Y(int year) => new() { Value = year.ToString(System.Globalization.CultureInfo.InvariantCulture), Precision = DatePrecision.Year };

    private static PartialDate D(string day) => new() { Value = day, Precision = DatePrecision.Day };

    private static NeedIdentified Need => new() { Need = "a need", OccurredAt = Y(2000), Provenance = Stated };

    private static InnovationRegistered Registered => new() { Name = "Flo", InnovationType = "digital", OriginOrganisationId = Origin, OccurredAt = Y(2005), Provenance = Stated };

    private static JourneyEvent[] Live(Guid site, int year) =>
    [
        new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Y(year), Provenance = Stated },
        new ServiceWentLive { SiteId = site, OccurredAt = Y(year), Provenance = Stated },
    ];

    private static JourneyEvent[] LiveSites(int count, int year) => [.. Enumerable.Range(1, count).SelectMany(i => Live(Guid.CreateVersion7(), year))];

    private static EligiblePopulationDefined Eligible(int size) => new() { Population = "GP practices", Size = size, Unit = "gp_practices", OccurredAt = Y(2010), Provenance = Stated };

    [Fact]
    public void A_journey_that_is_only_a_need_is_at_Need()
    {
        Summary(Need).Stage.ShouldBe(Stage.Need);
    }

    [Fact]
    public void Each_stage_follows_from_its_milestone()
    {
        Summary(Need, Registered).Stage.ShouldBe(Stage.Conceived);
        Summary(Registered, new PilotStarted { OccurredAt = Y(2006), Provenance = Stated }).Stage.ShouldBe(Stage.Piloting);
        Summary(Registered, new EvidenceRecorded { EvidenceType = "rct", OccurredAt = Y(2007), Provenance = Stated }).Stage.ShouldBe(Stage.Evidenced);
        Summary([Registered, .. Live(Origin, 2008)]).Stage.ShouldBe(Stage.EmbeddedAtOrigin);
        Summary([Registered, .. Live(Origin, 2008), .. Live(Guid.CreateVersion7(), 2009)]).Stage.ShouldBe(Stage.EarlySpread);
    }

    [Fact]
    public void The_first_site_other_than_the_origin_makes_early_spread_even_before_the_origin_goes_live()
    {
        Summary([Registered, .. Live(Guid.CreateVersion7(), 2009)]).Stage.ShouldBe(Stage.EarlySpread);
    }

    [Fact]
    public void Without_a_recorded_origin_the_first_live_site_is_the_origin()
    {
        var noOrigin = Registered with { OriginOrganisationId = null };

        Summary([noOrigin, .. Live(Guid.CreateVersion7(), 2009)]).Stage.ShouldBe(Stage.EmbeddedAtOrigin);
        Summary([noOrigin, .. LiveSites(2, 2009)]).Stage.ShouldBe(Stage.EarlySpread);
    }

    [Fact]
    public void A_spread_programme_or_a_live_share_of_2_5_percent_makes_it_scaling()
    {
        var programme = new SpreadProgrammeLaunched { Programme = "national", Scope = ProgrammeScope.National, OccurredAt = Y(2012), Provenance = Stated };

        Summary([Registered, .. Live(Guid.CreateVersion7(), 2009), programme]).Stage.ShouldBe(Stage.Scaling);
        Summary([Registered, Eligible(200), .. LiveSites(4, 2011)]).Stage.ShouldBe(Stage.EarlySpread);
        Summary([Registered, Eligible(200), .. LiveSites(5, 2011)]).Stage.ShouldBe(Stage.Scaling);
    }

    [Fact]
    public void A_live_share_of_16_percent_or_a_mandating_lever_makes_it_widespread()
    {
        Summary([Registered, Eligible(100), .. LiveSites(15, 2011)]).Stage.ShouldBe(Stage.Scaling);
        Summary([Registered, Eligible(100), .. LiveSites(16, 2011)]).Stage.ShouldBe(Stage.Widespread);

        var mandate = new NationalLeverApplied { Lever = "medtech_funding_mandate", OccurredAt = Y(2019), Provenance = Stated };
        Summary(Registered, mandate).Stage.ShouldBe(Stage.Widespread);
        Summary(Registered, mandate with { Lever = "cquin" }).Stage.ShouldBe(Stage.Conceived);
    }

    [Fact]
    public void Sustainment_confirmed_at_half_the_live_sites_of_a_widespread_innovation_makes_it_sustained()
    {
        var sites = Enumerable.Range(0, 4).Select(_ => Guid.CreateVersion7()).ToList();
        JourneyEvent[] facts = [Registered, Eligible(10), .. sites.SelectMany(s => Live(s, 2012))];
        var sustained = sites.Take(2).Select(s => new SustainmentConfirmed { SiteId = s, OccurredAt = Y(2015), Provenance = Stated });

        Summary([.. facts, .. sustained.Take(1)]).Stage.ShouldBe(Stage.Widespread);
        Summary([.. facts, .. sustained]).Stage.ShouldBe(Stage.Sustained);
    }

    [Fact]
    public void Thresholds_come_from_configuration()
    {
        var strict = new StageThresholds { ScalingShare = 0.5m, WidespreadShare = 0.9m };

        Summary(strict, [Registered, Eligible(10), .. LiveSites(3, 2011)]).Stage.ShouldBe(Stage.EarlySpread);
        Summary([Registered, Eligible(10), .. LiveSites(3, 2011)]).Stage.ShouldBe(Stage.Widespread);
    }

    [Fact]
    public void An_observed_live_count_is_used_when_it_is_larger_but_never_added_to_site_events()
    {
        var observed = new MetricObserved { Metric = "sites_live", Value = 20, Unit = "count", OccurredAt = Y(2013), Provenance = Stated };

        var s = Summary([Registered, Eligible(100), .. LiveSites(3, 2011), observed]);

        (s.SiteEventLiveCount, s.ObservedLiveSites, s.LiveSiteCount).ShouldBe((3, 20, 20));
        s.Stage.ShouldBe(Stage.Widespread);
    }

    [Fact]
    public void Stalled_means_an_open_barrier_and_no_new_live_site_for_twelve_months()
    {
        var barrierId = Guid.CreateVersion7();
        var barrier = new BarrierEncountered { Code = "R1", Scope = BarrierScope.National, Severity = Severity.High, OccurredAt = D("2020-03-01"), Provenance = Stated };
        var s = Summary(new StageThresholds(), [(Guid.CreateVersion7(), Registered), .. Live(Guid.CreateVersion7(), 2019).Select(f => (Guid.CreateVersion7(), f)), (barrierId, barrier)]);
        var t = new StageThresholds();

        StageRules.IsStalled(s, new DateOnly(2020, 6, 1), t).ShouldBeFalse();
        StageRules.IsStalled(s, new DateOnly(2020, 7, 3), t).ShouldBeTrue();
        InnovationEndpoints.OverlaysOn(s, new DateOnly(2021, 1, 1), t).ShouldContain(Overlay.Stalled);

        var resolved = Summary(new StageThresholds(), [(Guid.CreateVersion7(), Registered), (barrierId, barrier),
            (Guid.CreateVersion7(), new BarrierResolved { BarrierEventId = barrierId, How = "funded", OccurredAt = D("2020-05-01"), Provenance = Stated })]);
        StageRules.IsStalled(resolved, new DateOnly(2024, 1, 1), t).ShouldBeFalse();
        resolved.Barriers.Single().ResolvedAt.ShouldNotBeNull();
    }

    [Fact]
    public void Standing_overlays_follow_from_the_facts()
    {
        var site = Guid.CreateVersion7();
        var decline = new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Decline, Reason = "prior failure", OccurredAt = Y(2014), Provenance = Stated };
        var stop = new AdoptionDiscontinued { SiteId = site, Reason = "funding ended", OccurredAt = Y(2016), Provenance = Stated };

        Summary(Registered, decline).Overlays.ShouldBe([Overlay.Declined]);
        Summary([Registered, .. Live(site, 2012), stop]).Overlays.ShouldBe([Overlay.Abandoned]);
        Summary(Registered, new InnovationSuperseded { SupersededBy = "v2", OccurredAt = Y(2020), Provenance = Stated }).Overlays.ShouldBe([Overlay.Superseded]);
        Summary(Registered, new OwnershipTransferred { To = "HIN", OccurredAt = Y(2020), Provenance = Stated }).Overlays.ShouldBe([Overlay.Transferred]);
        Summary(Registered, new InnovationRetired { Reason = "done", OccurredAt = Y(2020), Provenance = Stated }).Overlays.ShouldBe([Overlay.Retired]);
    }

    [Fact]
    public void The_summary_keeps_key_dates_sites_by_state_funding_and_the_latest_reach()
    {
        var early = new MetricObserved { Metric = "patients_benefiting", Value = 300, Unit = "people", OccurredAt = Y(2014), Provenance = Stated };
        var late = early with { Value = 2489, OccurredAt = Y(2015) };
        var funding = new FundingSecured { Funder = "PCT", Purpose = "pilot", Amount = new Money { Amount = 30000, Currency = "GBP" }, OccurredAt = Y(2009), Provenance = Stated };

        // The later figure was recorded first: the latest by occurredAt still wins.
        var s = Summary([Registered, funding, funding, .. Live(Origin, 2011), late, early]);

        s.KeyDates.Keys.ShouldBe(["conceived", "embedded_at_origin", "first_live"], ignoreOrder: true);
        s.KeyDates["embedded_at_origin"].ShouldBe(Y(2011));
        s.SitesByState.ShouldBe(new Dictionary<SiteState, int> { [SiteState.Adopting] = 0, [SiteState.Live] = 1 });
        s.Funding.ShouldBe([new FundingLine("pilot", "GBP", 60000, 2)]);
        s.LatestReach()["patients_benefiting"].Value.ShouldBe(2489);
        s.LastEvent!.Type.ShouldBe("metric_observed");
    }

    [Fact]
    public void Corrections_and_retractions_change_the_figures_they_name()
    {
        var metricId = Guid.CreateVersion7();
        var barrierId = Guid.CreateVersion7();
        var s = Summary(new StageThresholds(),
            (Guid.CreateVersion7(), Registered),
            (metricId, new MetricObserved { Metric = "sites_live", Value = 110, Unit = "count", OccurredAt = Y(2018), Provenance = Stated }),
            (Guid.CreateVersion7(), new AdoptionEvents.Journeys.Corrections.EventCorrected
            {
                CorrectedEventId = metricId, Reason = "later report", OccurredAt = Y(2019), Provenance = Stated,
                Changes = new Dictionary<string, System.Text.Json.JsonElement> { ["value"] = System.Text.Json.JsonSerializer.SerializeToElement(112) },
            }),
            (barrierId, new BarrierEncountered { Code = "D1", Scope = BarrierScope.National, Severity = Severity.Low, OccurredAt = Y(2018), Provenance = Stated }),
            (Guid.CreateVersion7(), new AdoptionEvents.Journeys.Corrections.EventRetracted { RetractedEventId = barrierId, Reason = "duplicate", OccurredAt = Y(2019), Provenance = Stated }));

        s.ObservedLiveSites.ShouldBe(112);
        (s.Barriers.Count, s.OpenBarrierCount).ShouldBe((0, 0));
    }
}
