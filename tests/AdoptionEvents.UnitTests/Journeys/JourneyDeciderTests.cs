using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Tests;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Journeys;

public class JourneyDeciderTests
{
    private static Refusal RefusalOf(Journey? journey, JourneyEvent fact, DecisionContext? context = null)
    {
        var decision = journey is null
            ? JourneyDecider.Start(Fact(fact), context ?? Knowing(), Now, User)
            : JourneyDecider.Decide(journey, Fact(fact), context ?? Knowing(), Now, User);
        decision.Refused.ShouldBeTrue("the fact should have been refused");
        decision.Events.ShouldBeEmpty();
        return decision.Refusals[0];
    }

    private static readonly ServiceWentLive GoLive = new() { SiteId = Site, OccurredAt = Day("2015-01-01"), Provenance = Stated };

    [Fact]
    public void A_whole_journey_using_every_event_type_is_accepted_step_by_step()
    {
        var ids = new Dictionary<string, Guid>();
        var known = new Dictionary<Guid, KnownEvent>();
        var causes = new Dictionary<Guid, IReadOnlyList<Guid>>();
        Journey? journey = null;
        var steps = SampleJourney.Steps(Site, OtherSite);

        foreach (var (label, build) in steps)
        {
            var fact = Fact(build(l => ids[l]));
            var ancestors = fact is CausalLinkAsserted link ? Ancestors(link.CauseEventId, causes) : [];
            var context = new DecisionContext(known, new HashSet<Guid> { Site, OtherSite }, ancestors);
            var decision = journey is null ? JourneyDecider.Start(fact, context, Now, User) : JourneyDecider.Decide(journey, fact, context, Now, User);

            decision.Refusals.ShouldBeEmpty($"step '{label}' was refused");
            decision.Events.ShouldBe([fact]);
            ids[label] = Guid.NewGuid();
            known[ids[label]] = new KnownEvent(ids[label], InnovationId, EventCatalogue.Of(fact).Name);
            causes[ids[label]] = fact.CausedBy;
            journey = Journey.After(journey, ids[label], fact);
        }

        steps.Select(s => EventCatalogue.Of(s.Fact(l => ids[l])).Type).Distinct()
            .ShouldBe(EventCatalogue.Entries.Select(e => e.Type), ignoreOrder: true, "the sample journey should use every event type");
        journey!.Retired.ShouldBeTrue();
    }

    [Fact]
    public void A_journey_starts_only_with_a_need_or_a_registration()
    {
        var refusal = RefusalOf(null, GoLive);

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((400, "type", "journey-start"));
    }

    [Fact]
    public void Going_live_without_a_decision_to_adopt_is_a_409_naming_the_transition()
    {
        var refusal = RefusalOf(Registered(), GoLive);

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "type", "site-transition"));
        refusal.Detail.ShouldContain("service_went_live cannot follow site state 'not yet known'");
    }

    [Fact]
    public void Discontinuing_a_site_that_never_went_live_is_refused()
    {
        var journey = AtState(SiteState.Implementing);

        var refusal = RefusalOf(journey, new AdoptionDiscontinued { SiteId = Site, Reason = "x", OccurredAt = Day("2016-01-01"), Provenance = Stated });

        refusal.Rule.ShouldBe("site-transition");
        refusal.Detail.ShouldContain("'implementing'");
    }

    [Fact]
    public void A_site_event_naming_an_unknown_organisation_is_a_422()
    {
        var refusal = RefusalOf(Registered(), GoLive, Knowing(organisations: []));

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((422, "siteId", "known-organisation"));
    }

    [Fact]
    public void CausedBy_must_name_events_in_the_store()
    {
        var missing = Guid.NewGuid();

        var refusal = RefusalOf(Registered(), new PathwayChanged { Pathway = "MSK", Change = "x", CausedBy = [missing], OccurredAt = Day("2015-01-01"), Provenance = Stated });

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((422, "causedBy", "known-event"));
        refusal.Detail.ShouldContain(missing.ToString());
    }

    [Fact]
    public void CausedBy_may_name_an_event_of_another_journey()
    {
        var elsewhere = new KnownEvent(Guid.NewGuid(), Guid.NewGuid(), "service_went_live");

        var decision = JourneyDecider.Decide(Registered(), Fact(new PathwayChanged { Pathway = "MSK", Change = "x", CausedBy = [elsewhere.Id], OccurredAt = Day("2015-01-01"), Provenance = Stated }),
            Knowing(events: [elsewhere]), Now, User);

        decision.Refused.ShouldBeFalse();
    }

    [Fact]
    public void A_causal_link_that_would_close_a_cycle_is_refused()
    {
        var (cause, effect) = (new KnownEvent(Guid.NewGuid(), InnovationId, "role_changed"), new KnownEvent(Guid.NewGuid(), InnovationId, "pathway_changed"));
        var link = new CausalLinkAsserted { CauseEventId = cause.Id, EffectEventId = effect.Id, OccurredAt = Day("2020-01-01"), Provenance = Stated };

        // The effect already leads to the cause, so cause → effect would close a loop.
        var refusal = RefusalOf(Registered(), link, Knowing(events: [cause, effect], ancestors: [effect.Id]));

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "effectEventId", "acyclic"));
    }

    [Fact]
    public void A_causal_link_to_an_unknown_event_names_the_end_that_is_missing()
    {
        var cause = new KnownEvent(Guid.NewGuid(), InnovationId, "role_changed");
        var link = new CausalLinkAsserted { CauseEventId = cause.Id, EffectEventId = Guid.NewGuid(), OccurredAt = Day("2020-01-01"), Provenance = Stated };

        var refusal = RefusalOf(Registered(), link, Knowing(events: [cause]));

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((422, "effectEventId", "known-event"));
    }

    [Fact]
    public void An_event_cannot_cause_itself()
    {
        var id = new KnownEvent(Guid.NewGuid(), InnovationId, "role_changed");

        var refusal = RefusalOf(Registered(), new CausalLinkAsserted { CauseEventId = id.Id, EffectEventId = id.Id, OccurredAt = Day("2020-01-01"), Provenance = Stated }, Knowing(events: [id]));

        refusal.Rule.ShouldBe("acyclic");
    }

    [Fact]
    public void Resolving_a_barrier_needs_an_open_barrier()
    {
        var barrier = new KnownEvent(Guid.NewGuid(), InnovationId, "barrier_encountered");
        var resolve = new BarrierResolved { BarrierEventId = barrier.Id, How = "funded", OccurredAt = Day("2017-01-01"), Provenance = Stated };

        var refusal = RefusalOf(Registered(), resolve, Knowing(events: [barrier]));
        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "barrierEventId", "open-barrier"));

        var open = Registered() with { Ledger = JourneyLedger.Empty with { OpenBarriers = [barrier.Id] } };
        JourneyDecider.Decide(open, Fact(resolve), Knowing(events: [barrier]), Now, User).Refused.ShouldBeFalse();
    }

    [Fact]
    public void Resolving_something_that_is_not_a_barrier_names_its_type()
    {
        var notBarrier = new KnownEvent(Guid.NewGuid(), InnovationId, "service_went_live");

        var refusal = RefusalOf(Registered(), new BarrierResolved { BarrierEventId = notBarrier.Id, How = "x", OccurredAt = Day("2017-01-01"), Provenance = Stated }, Knowing(events: [notBarrier]));

        (refusal.Status, refusal.Rule).ShouldBe((422, "event-type"));
        refusal.Detail.ShouldContain("is a service_went_live");
    }

    [Fact]
    public void A_retired_innovation_takes_only_corrections_and_retractions()
    {
        var retired = Registered() with { Retired = true };
        var target = new KnownEvent(Guid.NewGuid(), InnovationId, "metric_observed");

        var refusal = RefusalOf(retired, new PathwayChanged { Pathway = "MSK", Change = "x", OccurredAt = Day("2015-01-01"), Provenance = Stated });
        (refusal.Status, refusal.Rule).ShouldBe((409, "retired"));

        var retraction = new EventRetracted { RetractedEventId = target.Id, Reason = "duplicate", OccurredAt = Day("2024-01-01"), Provenance = Stated };
        JourneyDecider.Decide(retired, Fact(retraction), Knowing(events: [target]), Now, User).Refused.ShouldBeFalse();
    }

    [Fact]
    public void A_retracted_retirement_brings_the_innovation_back_into_use_and_no_other_retraction_does()
    {
        var (retirement, other) = (Guid.NewGuid(), Guid.NewGuid());
        var retire = new InnovationRetired { Reason = "recorded against the wrong innovation", OccurredAt = Day("2023-01-01"), Provenance = Stated };
        var retired = Journey.After(Registered(), retirement, Fact(retire))!;
        (retired.Retired, retired.RetiredBy).ShouldBe((true, retirement));
        EventRetracted Retraction(Guid id) => new() { RetractedEventId = id, Reason = "in error", OccurredAt = Day("2024-01-01"), Provenance = Stated };

        var stillRetired = Journey.After(retired, Guid.NewGuid(), Fact(Retraction(other)))!;
        stillRetired.Retired.ShouldBeTrue();

        var back = Journey.After(retired, Guid.NewGuid(), Fact(Retraction(retirement)))!;
        (back.Retired, back.RetiredBy).ShouldBe((false, null));
        back.Ledger.Retracted.ShouldContain(retirement);
        JourneyDecider.Decide(back, Fact(new PathwayChanged { Pathway = "MSK", Change = "x", OccurredAt = Day("2024-02-01"), Provenance = Stated }), Knowing(), Now, User)
            .Refused.ShouldBeFalse();
    }

    [Fact]
    public void A_correction_must_name_an_event_of_the_same_journey_that_still_stands()
    {
        var elsewhere = new KnownEvent(Guid.NewGuid(), Guid.NewGuid(), "metric_observed");
        var correction = new EventRetracted { RetractedEventId = elsewhere.Id, Reason = "duplicate", OccurredAt = Day("2024-01-01"), Provenance = Stated };

        RefusalOf(Registered(), correction, Knowing(events: [elsewhere])).Rule.ShouldBe("same-journey");

        var own = elsewhere with { InnovationId = InnovationId };
        var retracted = Registered() with { Ledger = JourneyLedger.Empty with { Retracted = [own.Id] } };
        RefusalOf(retracted, correction, Knowing(events: [own])).Rule.ShouldBe("not-retracted");
    }

    [Theory]
    [InlineData("2027-01", "not-in-future")]
    [InlineData("2026-11-29", "not-in-future")]
    [InlineData("2026-13-01", "partial-date")]
    public void OccurredAt_must_be_a_date_that_has_happened(string value, string rule)
    {
        var refusal = RefusalOf(Registered(), GoLive with { OccurredAt = new PartialDate { Value = value, Precision = value.Length == 7 ? DatePrecision.Month : DatePrecision.Day } });

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((400, "occurredAt", rule));
    }

    [Fact]
    public void A_date_that_may_include_today_is_not_in_the_future()
    {
        var thisMonth = GoLive with { OccurredAt = new PartialDate { Value = "2026-11", Precision = DatePrecision.Month } };

        JourneyDecider.Decide(AtState(SiteState.Adopting), Fact(thisMonth), Knowing(), Now, User).Refused.ShouldBeFalse();
    }

    public static TheoryData<JourneyEvent, string, string> BadFields => new()
    {
        { new FundingSecured { Funder = "NIHR", Purpose = "development", Amount = new Money { Amount = -1, Currency = "GBP" }, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "amount.amount", "non-negative" },
        { new FundingSecured { Funder = "NIHR", Purpose = "development", Amount = new Money { Amount = 10, Currency = "XXX" }, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "amount.currency", "vocabulary" },
        { new FundingSecured { Funder = "NIHR", Purpose = "party", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "purpose", "vocabulary" },
        { new BarrierEncountered { Code = "Z9", Scope = BarrierScope.National, Severity = Severity.Low, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "code", "vocabulary" },
        { new BarrierEncountered { Code = "R1", Scope = BarrierScope.Site, Severity = Severity.Low, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "siteId", "required" },
        { new DominoChangeObserved { Kind = "butterfly", Target = "x", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "kind", "vocabulary" },
        { new MetricObserved { Metric = "happiness", Value = 1, Unit = "count", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "metric", "vocabulary" },
        { new MetricObserved { Metric = "sites_live", Value = -3, Unit = "count", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "value", "non-negative" },
        { new NationalLeverApplied { Lever = "bribe", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "lever", "vocabulary" },
        { new InnovationRegistered { Name = " ", InnovationType = "digital", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "name", "not-empty" },
        { new StaffTrained { SiteId = Site, Count = 0, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "count", "positive" },
        { new EligiblePopulationDefined { Population = "ICBs", Size = 0, Unit = "icbs", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "size", "positive" },
        { new CoverageMilestoneReached { Milestone = "half", Share = 1.5m, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "share", "range" },
        { new PathwayChanged { Pathway = "MSK", Change = "x", OccurredAt = Day("2015-01-01"), Provenance = Stated with { Confidence = 2 } }, "provenance.confidence", "range" },
        { new EventCorrected { CorrectedEventId = Guid.NewGuid(), Changes = new Dictionary<string, System.Text.Json.JsonElement>(), Reason = "x", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "changes", "not-empty" },
        { new KnowledgeShared { SiteId = Site, ToSiteId = Site, OccurredAt = Day("2015-01-01"), Provenance = Stated }, "toSiteId", "different-site" },
        { new TargetSet { Target = "x", Metric = "vibes", OccurredAt = Day("2015-01-01"), Provenance = Stated }, "metric", "vocabulary" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void Field_rules_refuse_with_400_naming_the_field_and_the_rule(JourneyEvent fact, string field, string rule)
    {
        var refusal = RefusalOf(Registered(), fact);

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((400, field, rule));
    }

    [Fact]
    public void Every_refusal_is_reported_not_only_the_first()
    {
        var fact = new FundingSecured { Funder = "", Purpose = "party", Amount = new Money { Amount = -1, Currency = "GBP" }, OccurredAt = Day("2015-01-01"), Provenance = Stated };

        var decision = JourneyDecider.Decide(Registered(), Fact(fact), Knowing(), Now, User);

        decision.Refusals.Select(r => r.Field).ShouldBe(["funder", "purpose", "amount.amount"]);
    }

    [Fact]
    public void Ending_targets_funding_programmes_and_links_needs_them_open()
    {
        var target = new KnownEvent(Guid.NewGuid(), InnovationId, "target_set");
        var funding = new KnownEvent(Guid.NewGuid(), InnovationId, "funding_secured");
        var context = Knowing(events: [target, funding]);

        RefusalOf(Registered(), new TargetMet { TargetEventId = target.Id, OccurredAt = Day("2018-01-01"), Provenance = Stated }, context).Rule.ShouldBe("open-target");
        RefusalOf(Registered(), new FundingEnded { FundingEventId = funding.Id, OccurredAt = Day("2018-01-01"), Provenance = Stated }, context).Rule.ShouldBe("active-funding");
    }

    [Fact]
    public void Folding_keeps_the_decision_state_small_and_current()
    {
        var barrier = Guid.NewGuid();
        var journey = Fold(
            (Guid.NewGuid(), new InnovationRegistered { Name = "Flo", InnovationType = "digital", OccurredAt = Day("2009-01-01"), Provenance = Stated }),
            (Guid.NewGuid(), new AdoptionDecided { SiteId = Site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Day("2010-01-01"), Provenance = Stated }),
            (Guid.NewGuid(), new ServiceWentLive { SiteId = Site, OccurredAt = Day("2011-01-01"), Provenance = Stated }),
            (barrier, new BarrierEncountered { Code = "R1", Scope = BarrierScope.National, Severity = Severity.Medium, OccurredAt = Day("2012-01-01"), Provenance = Stated }),
            (Guid.NewGuid(), new EventRetracted { RetractedEventId = barrier, Reason = "duplicate", OccurredAt = Day("2013-01-01"), Provenance = Stated }));

        journey.Name.ShouldBe("Flo");
        journey.SiteStateOf(Site).ShouldBe(SiteState.Live);
        journey.Ledger.OpenBarriers.ShouldBeEmpty();
        journey.Ledger.Retracted.ShouldBe([barrier]);
    }

    private static HashSet<Guid> Ancestors(Guid start, Dictionary<Guid, IReadOnlyList<Guid>> causes)
    {
        var seen = new HashSet<Guid>();
        var frontier = new Queue<Guid>([start]);
        while (frontier.TryDequeue(out var id))
        {
            foreach (var cause in causes.GetValueOrDefault(id, []).Where(seen.Add))
            {
                frontier.Enqueue(cause);
            }
        }

        return seen;
    }
}
