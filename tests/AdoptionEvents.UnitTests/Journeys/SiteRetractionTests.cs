using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Tests;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Journeys;

/// <summary>A retraction of an event that changed a site's state takes that change back, in the decision state first.</summary>
public class SiteRetractionTests
{
    private static readonly AdopterAware Aware = new() { SiteId = Site, OccurredAt = Day("2013-01-01"), Provenance = Stated };
    private static readonly AdoptionDecided Adopt = new() { SiteId = Site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Day("2014-01-01"), Provenance = Stated };
    private static readonly ServiceWentLive GoLive = new() { SiteId = Site, OccurredAt = Day("2015-01-01"), Provenance = Stated };
    private static readonly StaffTrained Trained = new() { SiteId = Site, Count = 4, Role = "physiotherapist", OccurredAt = Day("2015-02-01"), Provenance = Stated };

    private sealed class History
    {
        private readonly Dictionary<Guid, KnownEvent> _known = [];

        public Journey Journey { get; private set; } = Registered();

        public DecisionContext Context => new(_known, new HashSet<Guid> { Site, OtherSite }, new HashSet<Guid>());

        /// <summary>Decides the fact on the journey so far; accepted, it joins the journey as decided, and its id is returned.</summary>
        public (Guid Id, Decision Decision) Record(JourneyEvent fact)
        {
            var decision = JourneyDecider.Decide(Journey, Fact(fact), Context, Now, User);
            var id = Guid.NewGuid();
            if (!decision.Refused)
            {
                var decided = decision.Events.ShouldHaveSingleItem();
                _known[id] = KnownEvent.Of(id, InnovationId, decided);
                Journey = Journey.After(Journey, id, decided)!;
            }

            return (id, decision);
        }

        public Guid Accept(JourneyEvent fact)
        {
            var (id, decision) = Record(fact);
            decision.Refusals.ShouldBeEmpty();
            return id;
        }
    }

    private static EventRetracted Retraction(Guid id) => new() { RetractedEventId = id, Reason = "recorded against the wrong site", OccurredAt = Day("2016-01-01"), Provenance = Stated };

    [Fact]
    public void Every_site_event_type_that_leads_to_a_state_is_a_change_of_state_and_no_other()
    {
        var siteFacts = SampleJourney.Steps(Site, OtherSite).Select(s => s.Fact(_ => Guid.NewGuid())).OfType<SiteEvent>().ToList();

        siteFacts.Select(f => f.GetType()).Distinct().Count().ShouldBe(EventCatalogue.Entries.Count(e => e.Type.IsAssignableTo(typeof(SiteEvent))));
        siteFacts.ShouldAllBe(f => SiteTransitions.MovesState(f) == (SiteTransitions.Rule(f).To != null));
    }

    [Fact]
    public void Retracting_a_go_live_takes_the_site_back_to_the_state_before_it_and_says_so()
    {
        var history = new History();
        history.Accept(Aware);
        history.Accept(Adopt);
        var live = history.Accept(GoLive);

        var (_, decision) = history.Record(Retraction(live));

        decision.Refusals.ShouldBeEmpty();
        decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>().SiteChange.ShouldBe(new UndoneSiteChange(Site, SiteState.Live, SiteState.Adopting));
        history.Journey.SiteStateOf(Site).ShouldBe(SiteState.Adopting);
        history.Journey.Sites[Site].Moves.Select(m => m.State).ShouldBe([SiteState.Aware, SiteState.Adopting]);
        history.Journey.Ledger.Retracted.ShouldContain(live);

        // The site may go live again, as it never did.
        history.Record(GoLive).Decision.Refusals.ShouldBeEmpty();
    }

    [Fact]
    public void Only_the_latest_change_of_a_sites_state_may_be_taken_back()
    {
        var history = new History();
        history.Accept(Aware);
        var decided = history.Accept(Adopt);
        var live = history.Accept(GoLive);

        var refusal = history.Record(Retraction(decided)).Decision.Refusals.ShouldHaveSingleItem();

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "retractedEventId", "latest-site-change"));
        refusal.Detail.ShouldContain($"retract {live} (which made it live) first");
        history.Journey.SiteStateOf(Site).ShouldBe(SiteState.Live);

        // Taken back in turn, latest first, down to a site the journey no longer knows.
        history.Accept(Retraction(live));
        history.Accept(Retraction(decided));
        var aware = history.Journey.Sites[Site].Moves.ShouldHaveSingleItem().EventId;
        history.Record(Retraction(aware)).Decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>().SiteChange
            .ShouldBe(new UndoneSiteChange(Site, SiteState.Aware, null));
        history.Journey.SiteStateOf(Site).ShouldBeNull();
        history.Record(Aware).Decision.Refusals.ShouldBeEmpty();
    }

    [Fact]
    public void A_retracted_fact_that_changed_no_sites_state_leaves_the_site_as_it_is()
    {
        var history = new History();
        history.Accept(Aware);
        history.Accept(Adopt);
        history.Accept(GoLive);
        var trained = history.Accept(Trained);

        var (_, decision) = history.Record(Retraction(trained));

        var retraction = decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>();
        retraction.SiteChange.ShouldBeNull();
        retraction.SiteFact.ShouldBe(new UndoneSiteFact(Site) { StaffTrained = 4 });
        history.Journey.SiteStateOf(Site).ShouldBe(SiteState.Live);

        // A commissioning: the register counts one fewer.
        var commissioned = history.Accept(new CommissioningSecured { SiteId = Site, Commissioner = "an ICB", OccurredAt = Day("2015-03-01"), Provenance = Stated });
        history.Record(Retraction(commissioned)).Decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>().SiteFact
            .ShouldBe(new UndoneSiteFact(Site) { Commissioning = true });

        // A fact the register does not count (usage dropped) is retracted with nothing more to take back.
        var dropped = history.Accept(new UsageDropped { SiteId = Site, Metric = "referrals", OccurredAt = Day("2015-04-01"), Provenance = Stated });
        var plain = history.Record(Retraction(dropped)).Decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>();
        (plain.SiteChange, plain.SiteFact).ShouldBe((null, null));
    }

    [Fact]
    public void What_a_retraction_takes_back_of_a_site_fact_is_the_stores_to_work_out()
    {
        var history = new History();
        history.Accept(Aware);
        history.Accept(Adopt);
        var trained = history.Accept(Trained);

        var wrong = history.Record(Retraction(trained) with { SiteFact = new UndoneSiteFact(Site) { StaffTrained = 40 } }).Decision.Refusals.ShouldHaveSingleItem();
        (wrong.Status, wrong.Field, wrong.Rule).ShouldBe((400, "siteFact", "set-by-store"));

        // An adaptation and a sharing of knowledge are taken back by what the register shows of them.
        var adapted = history.Accept(new AdaptationMade { SiteId = Site, Component = "venue", Adaptation = "leisure centre", OccurredAt = Day("2015-03-01"), Provenance = Stated });
        history.Record(Retraction(adapted)).Decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>().SiteFact
            .ShouldBe(new UndoneSiteFact(Site) { Component = "venue", Adaptation = "leisure centre" });
        var shared = history.Accept(new KnowledgeShared { SiteId = Site, ToSiteId = OtherSite, OccurredAt = Day("2015-04-01"), Provenance = Stated });
        var retraction = history.Record(Retraction(shared)).Decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>();
        retraction.SiteFact.ShouldBe(new UndoneSiteFact(Site) { SharedWith = OtherSite });
        retraction.ReferencedOrganisations().ShouldBe([("siteFact.siteId", Site)]);
    }

    [Fact]
    public void The_site_change_is_the_stores_to_work_out_a_caller_may_only_repeat_it()
    {
        var history = new History();
        history.Accept(Aware);
        history.Accept(Adopt);
        var live = history.Accept(GoLive);
        var trained = history.Accept(Trained);

        var wrong = history.Record(Retraction(live) with { SiteChange = new UndoneSiteChange(Site, SiteState.Live, SiteState.Considering) }).Decision.Refusals.ShouldHaveSingleItem();
        (wrong.Status, wrong.Field, wrong.Rule).ShouldBe((400, "siteChange", "set-by-store"));
        wrong.Detail.ShouldContain("goes back from live to adopting");

        var none = history.Record(Retraction(trained) with { SiteChange = new UndoneSiteChange(Site, SiteState.Live, SiteState.Adopting) }).Decision.Refusals.ShouldHaveSingleItem();
        (none.Field, none.Rule).ShouldBe(("siteChange", "set-by-store"));
        none.Detail.ShouldContain("changed no site's state");

        // As an export carries it: the same change is accepted.
        history.Record(Retraction(live) with { SiteChange = new UndoneSiteChange(Site, SiteState.Live, SiteState.Adopting) }).Decision.Refusals.ShouldBeEmpty();
        history.Journey.SiteStateOf(Site).ShouldBe(SiteState.Adopting);
    }

    [Theory]
    [InlineData("barrier", "barrier-resolved")]
    [InlineData("target", "target-met")]
    [InlineData("target-2", "target-missed")]
    [InlineData("funding", "funding-ended")]
    [InlineData("programme", "programme-ended")]
    [InlineData("link", "link-withdrawn")]
    public void Retracting_a_fact_that_closed_another_opens_that_again_for_later_commands(string opener, string closer)
    {
        var history = new History();
        var ids = new Dictionary<string, Guid>();
        var steps = SampleJourney.Steps(Site, OtherSite).Where(s => s.Label is not ("registered" or "retired")).ToList();
        foreach (var (label, build) in steps)
        {
            ids[label] = history.Accept(build(l => ids[l]));
        }

        var closing = steps.Single(s => s.Label == closer).Fact(l => ids[l]);
        var retraction = history.Record(Retraction(ids[closer])).Decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventRetracted>();

        retraction.Reopens.ShouldNotBeNull().EventId.ShouldBe(ids[opener]);
        retraction.Reopens.Type.ShouldBe(EventCatalogue.Of(steps.Single(s => s.Label == opener).Fact(l => ids[l])).Name);
        var ledger = history.Journey.Ledger;
        new[] { ledger.OpenBarriers, ledger.OpenTargets, ledger.ActiveFunding, ledger.ActiveProgrammes, ledger.ActiveLinks }.Count(set => set.Contains(ids[opener])).ShouldBe(1);

        // As if it had never been closed: it may be closed again, and a caller cannot say otherwise.
        history.Record(closing).Decision.Refusals.ShouldBeEmpty();
        var wrong = history.Record(Retraction(ids["evidence"]) with { Reopens = new ReopenedFact(ids[opener], "barrier_encountered") }).Decision.Refusals.ShouldHaveSingleItem();
        (wrong.Status, wrong.Field, wrong.Rule).ShouldBe((400, "reopens", "set-by-store"));
    }

    [Fact]
    public void A_retraction_stands_and_cannot_itself_be_retracted()
    {
        var history = new History();
        var retraction = history.Accept(Retraction(history.Accept(Aware)));

        var refusal = history.Record(Retraction(retraction)).Decision.Refusals.ShouldHaveSingleItem();

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "retractedEventId", "retraction-stands"));
        history.Journey.Ledger.Retracted.ShouldNotContain(retraction);
        history.Journey.SiteStateOf(Site).ShouldBeNull();
    }

    [Fact]
    public void A_registration_stands_and_cannot_be_retracted_so_the_origin_it_named_stays_a_supporter()
    {
        var history = new History();
        var registration = history.Accept(new AdoptionEvents.Journeys.Origin.InnovationRegistered
        {
            Name = "Registered again", InnovationType = "digital", OriginOrganisationId = OtherSite, OccurredAt = Day("2012-01-01"), Provenance = Stated,
        });

        var refusal = history.Record(Retraction(registration)).Decision.Refusals.ShouldHaveSingleItem();

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "retractedEventId", "registration-stands"));
        history.Journey.Ledger.Retracted.ShouldNotContain(registration);
        (history.Journey.Origin, history.Journey.Supporters.Contains(OtherSite)).ShouldBe((OtherSite, true));
    }

    [Fact]
    public void A_retraction_decided_without_the_sites_changes_that_stand_is_refused()
    {
        var live = Guid.NewGuid();
        var journey = Registered() with
        {
            Sites = Registered().Sites.Add(Site, new SiteStatus { Id = SiteStatus.IdFor(InnovationId, Site), InnovationId = InnovationId, SiteId = Site, State = SiteState.Live }),
        };
        var context = Knowing(events: [new KnownEvent(live, InnovationId, "service_went_live", Site)]);

        var decision = JourneyDecider.Decide(journey, Fact(Retraction(live)), context, Now, User);

        var refusal = decision.Refusals.ShouldHaveSingleItem();
        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "retractedEventId", "site-history"));
        refusal.Detail.ShouldContain("is not among the changes of site");
    }

    [Fact]
    public void The_site_status_keeps_each_change_and_a_retraction_takes_back_the_last()
    {
        var (aware, adopt, trained, live) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var status = new[] { (aware, (JourneyEvent)Aware), (adopt, Adopt), (trained, Trained), (live, GoLive) }
            .Aggregate((SiteStatus?)null, (s, e) => SiteStatus.After(s, e.Item1, Fact(e.Item2)))!;

        status.Moves.ShouldBe([new SiteMove(aware, SiteState.Aware), new SiteMove(adopt, SiteState.Adopting), new SiteMove(live, SiteState.Live)]);
        status.Id.ShouldBe(SiteStatus.IdFor(InnovationId, Site));

        var change = new UndoneSiteChange(Site, SiteState.Live, SiteState.Adopting);
        var back = SiteStatus.After(status, Guid.NewGuid(), Fact(Retraction(live) with { SiteChange = change }))!;
        (back.State, back.Moves.Count).ShouldBe((SiteState.Adopting, 2));

        // A status in another state than the one the retraction takes the site back from was never moved by it: it stays.
        SiteStatus.After(status, Guid.NewGuid(), Fact(Retraction(adopt) with { SiteChange = new UndoneSiteChange(Site, SiteState.Adopting, SiteState.Aware) })).ShouldBeSameAs(status);

        // As stored (the changes are never written), the status goes back to the state the retraction names.
        var stored = status with { Moves = [] };
        SiteStatus.After(stored, Guid.NewGuid(), Fact(Retraction(live) with { SiteChange = change }))!.State.ShouldBe(SiteState.Adopting);
        System.Text.Json.JsonSerializer.Serialize(status).ShouldNotContain("Moves");
    }
}
