using AdoptionEvents.Evaluation;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.ReadModels.InnovationSummaries;
using JasperFx.Events;
using static AdoptionEvents.UnitTests.ReadModels.Folding;

namespace AdoptionEvents.UnitTests.Evaluation;

public class MeasuresTests
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };
    private static readonly Guid Origin = Guid.CreateVersion7();
    private static readonly DateOnly Today = new(2026, 11, 28);

    private static PartialDate D(string v) => new() { Value = v, Precision = DatePrecision.Day };

    private static PartialDate Y(string v) => new() { Value = v, Precision = DatePrecision.Year };

    private static List<IEvent> Stream(params JourneyEvent[] facts) => [.. facts.Select((f, i) => Wrap(f, i + 1))];

    private static JourneyEvent[] Live(Guid site, PartialDate when) =>
    [
        new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = when, Provenance = Stated },
        new ServiceWentLive { SiteId = site, OccurredAt = when, Provenance = Stated },
    ];

    [Fact]
    public void Time_to_milestones_are_intervals_when_dates_are_imprecise()
    {
        var events = Stream(
        [
            new InnovationRegistered { Name = "ESCAPE-pain", InnovationType = "service_model", OriginOrganisationId = Origin, OccurredAt = D("2005-01-01"), Provenance = Stated },
            new EvidenceRecorded { EvidenceType = "rct", OccurredAt = Y("2007"), Provenance = Stated },
            .. Live(Origin, D("2008-01-01")),
            .. Live(Guid.CreateVersion7(), D("2010-01-01")),
            new NationalLeverApplied { Lever = "cquin", OccurredAt = new PartialDate { Value = "2012-03", Precision = DatePrecision.Month }, Provenance = Stated },
        ]);

        var m = Measures.Compute(events, new StageThresholds(), Today);

        m.TimeTo["evidence"].ShouldBe(new Lag(730, 1094, 912));
        m.TimeTo["first_adoption_outside_origin"].ShouldBe(new Lag(1826, 1826, 1826));
        m.TimeTo["national_lever"].ShouldBe(new Lag(2616, 2646, 2631));
        m.TimeTo["commissioning"].ShouldBeNull();
    }

    [Fact]
    public void Aligning_on_another_start_event_moves_every_time_to_measure()
    {
        var events = Stream([new NeedIdentified { Need = "x", OccurredAt = D("2000-01-01"), Provenance = Stated },
            new InnovationRegistered { Name = "x", InnovationType = "digital", OccurredAt = D("2004-01-01"), Provenance = Stated },
            new EvidenceRecorded { EvidenceType = "rct", OccurredAt = D("2005-01-01"), Provenance = Stated }]);

        Measures.Compute(events, new StageThresholds(), Today).TimeTo["evidence"]!.MidpointDays.ShouldBe(1827);
        Measures.Compute(events, new StageThresholds(), Today, "innovation_registered").TimeTo["evidence"]!.MidpointDays.ShouldBe(366);
    }

    [Fact]
    public void The_curve_categories_funnel_and_maintenance_follow_the_site_events()
    {
        var sites = Enumerable.Range(0, 10).Select(_ => Guid.CreateVersion7()).ToList();
        var stop = new AdoptionDiscontinued { SiteId = sites[9], Reason = "cost", OccurredAt = D("2015-01-01"), Provenance = Stated };
        var events = Stream(
        [
            new InnovationRegistered { Name = "x", InnovationType = "digital", OccurredAt = D("2009-01-01"), Provenance = Stated },
            new EligiblePopulationDefined { Population = "practices", Size = 40, Unit = "gp_practices", OccurredAt = D("2009-01-01"), Provenance = Stated },
            .. sites.SelectMany((s, i) => Live(s, D($"{2010 + (i / 2)}-06-01"))),
            new StaffTrained { SiteId = sites[0], Count = 3, OccurredAt = D("2010-07-01"), Provenance = Stated },
            new SustainmentConfirmed { SiteId = sites[0], OccurredAt = D("2012-01-01"), Provenance = Stated },
            stop,
            new AdopterAware { SiteId = Guid.CreateVersion7(), OccurredAt = D("2014-01-01"), Provenance = Stated },
        ]);

        var m = Measures.Compute(events, new StageThresholds(), Today);

        m.Curve.FromSiteEvents.Select(p => (int)p.Value).ShouldBe([2, 4, 6, 8, 10, 9]);
        m.Curve.FromSiteEvents[0].Share.ShouldBe(0.05m);
        m.SpreadPerQuarter.ShouldBe([new("2010-Q2", 2), new("2011-Q2", 2), new("2012-Q2", 2), new("2013-Q2", 2), new("2014-Q2", 2)]);
        m.AdopterCategories.Select(c => c.Category).ShouldBe(["innovator", "early_adopter", "early_adopter", "early_adopter", "early_adopter", "early_adopter", "early_majority", "early_majority", "early_majority", "early_majority"]);
        m.Funnel.ShouldBe(new Funnel(11, 10, 1, 10, 1, 0.9091m, 0.1m));
        m.Maintenance.ShouldBe(new Maintenance(10, 9, 1, 0, 0.1m));
    }

    [Fact]
    public void A_logistic_fit_recovers_a_known_curve_and_says_when_there_are_too_few_points()
    {
        var start = new DateOnly(2010, 1, 1);
        var points = Enumerable.Range(0, 12).Select(i => new CurvePoint(start.AddDays((int)(i * 365.25 / 2)),
            (decimal)Math.Round(200 / (1 + Math.Exp(-1.2 * ((i / 2.0) - 3))), 3), null)).ToList();

        var fit = Measures.Fit(points);

        fit.NotEnoughData.ShouldBeNull();
        fit.RatePerYear!.Value.ShouldBe(1.2, 0.05);
        fit.Plateau!.Value.ShouldBe(200, 4);
        Math.Abs(fit.Midpoint!.Value.DayNumber - new DateOnly(2013, 1, 1).DayNumber).ShouldBeLessThan(20);
        fit.RSquared!.Value.ShouldBeGreaterThan(0.99);

        var few = Measures.Fit(points.Take(4).ToList());
        (few.RatePerYear, few.NotEnoughData).ShouldBe((null, "a logistic fit needs at least 5 dated points with 3 distinct values; this journey has 4"));
    }

    [Fact]
    public void Stalls_are_gaps_without_a_new_live_site_while_a_barrier_stood()
    {
        var events = Stream(
        [
            new InnovationRegistered { Name = "x", InnovationType = "digital", OccurredAt = D("2009-01-01"), Provenance = Stated },
            .. Live(Guid.CreateVersion7(), D("2010-01-01")),
            new BarrierEncountered { Code = "R3", Scope = BarrierScope.National, Severity = Severity.High, OccurredAt = D("2010-06-01"), Provenance = Stated },
            .. Live(Guid.CreateVersion7(), D("2013-01-01")),
            .. Live(Guid.CreateVersion7(), D("2013-06-01")),
        ]);

        var m = Measures.Compute(events, new StageThresholds(), new DateOnly(2013, 12, 1));

        // The short gap and the time since the last site are under twelve months.
        var stall = m.Stalls.ShouldHaveSingleItem();
        (stall.From, stall.To, stall.Days, stall.Ongoing).ShouldBe((new DateOnly(2010, 1, 1), new DateOnly(2013, 1, 1), 1096, false));
        stall.OpenBarriers.ShouldBe(["R3"]);
        m.BarrierProfileByTheme.ShouldBe(new Dictionary<string, int> { ["T5"] = 1 });
    }

    [Fact]
    public void Funding_is_reported_by_purpose_and_the_stage_it_came_in_and_targets_against_observations()
    {
        var events = Stream(
        [
            new NeedIdentified { Need = "x", OccurredAt = D("2000-01-01"), Provenance = Stated },
            new FundingSecured { Funder = "NIHR", Purpose = "development", Amount = new Money { Amount = 100, Currency = "GBP" }, OccurredAt = D("2001-01-01"), Provenance = Stated },
            new InnovationRegistered { Name = "x", InnovationType = "digital", OccurredAt = D("2004-01-01"), Provenance = Stated },
            new FundingSecured { Funder = "HF", Purpose = "implementation", Amount = new Money { Amount = 50, Currency = "GBP" }, OccurredAt = D("2005-01-01"), Provenance = Stated },
            new TargetSet { Target = "100 sites", Metric = "sites_live", Value = 100, OccurredAt = D("2005-01-01"), Provenance = Stated },
            new MetricObserved { Metric = "sites_live", Value = 60, Unit = "count", OccurredAt = D("2006-01-01"), Provenance = Stated },
        ]);

        var m = Measures.Compute(events, new StageThresholds(), Today);

        m.Funding.ShouldBe([new FundingLineByStage("development", "need", "GBP", 100), new FundingLineByStage("implementation", "conceived", "GBP", 50)]);
        m.Targets.Single().ShouldBe(new TargetOutcome(events[4].Id, "100 sites", "sites_live", 100, null, "open", 60));
    }

    [Fact]
    public void Retracted_events_do_not_count_in_the_measures()
    {
        var events = Stream(
        [
            new InnovationRegistered { Name = "x", InnovationType = "digital", OccurredAt = D("2009-01-01"), Provenance = Stated },
            new EvidenceRecorded { EvidenceType = "rct", OccurredAt = D("2010-01-01"), Provenance = Stated },
        ]);
        events.Add(Wrap(new AdoptionEvents.Journeys.Corrections.EventRetracted { RetractedEventId = events[1].Id, Reason = "wrong journey", OccurredAt = D("2011-01-01"), Provenance = Stated }, 3));

        Measures.Compute(events, new StageThresholds(), Today).Stalls.ShouldBeEmpty();
    }
}

public class TimeAxesAndVerificationTests
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    [Fact]
    public void Each_axis_filters_on_its_own_date_and_corrections_follow_the_record_only()
    {
        var early = Wrap(new PathwayChanged { Pathway = "MSK", Change = "x", OccurredAt = new PartialDate { Value = "2010", Precision = DatePrecision.Year }, Provenance = Stated }, 1);
        var correction = Wrap(new AdoptionEvents.Journeys.Corrections.EventRetracted { RetractedEventId = early.Id, Reason = "r", OccurredAt = new PartialDate { Value = "2020", Precision = DatePrecision.Year }, Provenance = Stated }, 2);
        var axes = new TimeAxes(new DateOnly(2012, 1, 1), null);

        (axes.Includes(early), axes.Includes(correction)).ShouldBe((true, true));
        new TimeAxes(null, early.Timestamp).Includes(correction).ShouldBeFalse();
        new TimeAxes(new DateOnly(2009, 1, 1), correction.Timestamp).Includes(early).ShouldBeFalse();
        new TimeAxes(new DateOnly(2012, 1, 1), new DateTimeOffset(2011, 1, 1, 0, 0, 0, TimeSpan.Zero)).Today(new DateOnly(2026, 1, 1)).ShouldBe(new DateOnly(2011, 1, 1));
    }

    [Fact]
    public void A_sealed_stream_verifies_and_any_change_breaks_the_chain_at_that_event()
    {
        var events = Enumerable.Range(1, 4).Select(i => Wrap(new PathwayChanged { Pathway = $"p{i}", Change = "c", OccurredAt = new PartialDate { Value = "2010", Precision = DatePrecision.Year }, Provenance = Stated }, i)).ToList();
        TamperSeal.Seal(events, 0, null);

        Verification.FirstBreak(events).ShouldBeNull();

        var changed = events.ToList();
        changed[2] = Wrap(((PathwayChanged)events[2].Data) with { Change = "edited" }, 3, events[2].Id);
        changed[2].SetHeader(TamperSeal.Header, TamperSeal.HashOf(events[2])!);
        Verification.FirstBreak(changed)!.EventId.ShouldBe(events[2].Id);

        Verification.FirstBreak([events[0], events[1], events[3]])!.Problem.ShouldContain("an event is missing");
    }
}
