using AdoptionEvents.Evaluation;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using static AdoptionEvents.UnitTests.ReadModels.Folding;

namespace AdoptionEvents.UnitTests.ReadModels;

/// <summary>
/// A retracted change of site state, folded by the read models: the summary's site figures and stage and the site's register
/// entry are as if the retracted event had never been recorded.
/// </summary>
public class SiteRetractionFoldTests
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };
    private static readonly Guid Origin = Guid.Parse("0195a3f0-0000-7000-8000-0000000000b0");
    private static readonly Guid Site = Guid.Parse("0195a3f0-0000-7000-8000-0000000000b1");

    private static PartialDate Y(int year) => new() { Value = year.ToString(System.Globalization.CultureInfo.InvariantCulture), Precision = DatePrecision.Year };

    /// <summary>The origin live, then one other site through every state it can take, with a decline and a second deferral on the way.</summary>
    private static readonly JourneyEvent[] Journey =
    [
        new InnovationRegistered { Name = "Flo", InnovationType = "digital", OriginOrganisationId = Origin, OccurredAt = Y(2005), Provenance = Stated },
        new AdoptionDecided { SiteId = Origin, Outcome = AdoptionOutcome.Adopt, OccurredAt = Y(2006), Provenance = Stated },
        new ServiceWentLive { SiteId = Origin, OccurredAt = Y(2006), Provenance = Stated },
        new AdopterAware { SiteId = Site, OccurredAt = Y(2008), Provenance = Stated },
        new AdoptionDecided { SiteId = Site, Outcome = AdoptionOutcome.Decline, Reason = "no budget", OccurredAt = Y(2009), Provenance = Stated },
        new AdoptionConsidered { SiteId = Site, OccurredAt = Y(2010), Provenance = Stated },
        new AdoptionDecided { SiteId = Site, Outcome = AdoptionOutcome.Defer, OccurredAt = Y(2010), Provenance = Stated },
        new AdoptionDecided { SiteId = Site, Outcome = AdoptionOutcome.Defer, OccurredAt = Y(2011), Provenance = Stated },
        new AdoptionDecided { SiteId = Site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Y(2012), Provenance = Stated },
        new ImplementationStarted { SiteId = Site, OccurredAt = Y(2013), Provenance = Stated },
        new ServiceWentLive { SiteId = Site, OccurredAt = Y(2014), Provenance = Stated },
        new StaffTrained { SiteId = Site, Count = 3, Role = "nurse", OccurredAt = Y(2014), Provenance = Stated },
        new CommissioningSecured { SiteId = Site, Commissioner = "an ICB", OccurredAt = Y(2014), Provenance = Stated },
        new CommissioningSecured { SiteId = Site, Commissioner = "a second ICB", OccurredAt = Y(2015), Provenance = Stated },
        new AdaptationMade { SiteId = Site, Component = "venue", Adaptation = "community hall", OccurredAt = Y(2014), Provenance = Stated },
        new StaffTrained { SiteId = Site, Count = 5, Role = "nurse", OccurredAt = Y(2015), Provenance = Stated },
        new KnowledgeShared { SiteId = Site, ToSiteId = Origin, How = "site visit", OccurredAt = Y(2015), Provenance = Stated },
        new SustainmentConfirmed { SiteId = Site, Evidence = "two years of use", OccurredAt = Y(2016), Provenance = Stated },
        new AdoptionSuspended { SiteId = Site, Reason = "staff left", OccurredAt = Y(2017), Provenance = Stated },
        new AdoptionResumed { SiteId = Site, OccurredAt = Y(2018), Provenance = Stated },
        new AdoptionDiscontinued { SiteId = Site, Reason = "service redesigned", OccurredAt = Y(2020), Provenance = Stated },
    ];

    /// <summary>Each change of the site's state, by its place in <see cref="Journey"/>.</summary>
    public static TheoryData<int> Changes => [.. Enumerable.Range(0, Journey.Length).Where(i => Journey[i] is SiteEvent s && s.SiteId == Site && SiteTransitions.MovesState(s))];

    /// <summary>The journey up to and including the change at <paramref name="at"/>, then its retraction as the store decides it.</summary>
    private static List<(Guid Id, JourneyEvent Fact)> RetractedAt(int at)
    {
        var facts = Journey.Take(at + 1).Select(f => (Id: Guid.CreateVersion7(), Fact: f)).ToList();
        var status = facts.Aggregate((SiteStatus?)null, (s, e) => e.Fact is SiteEvent { SiteId: var site } && site == Site ? SiteStatus.After(s, e.Id, e.Fact with { InnovationId = InnovationId }) : s)!;
        var change = new UndoneSiteChange(Site, status.Moves[^1].State, status.Moves.Count > 1 ? status.Moves[^2].State : null);
        facts.Add((Guid.CreateVersion7(), new EventRetracted { RetractedEventId = facts[at].Id, Reason = "wrong site", OccurredAt = Y(2021), Provenance = Stated, SiteChange = change }));
        return facts;
    }

    /// <summary>Each site fact the register counts without a change of state, by its place in <see cref="Journey"/>.</summary>
    public static TheoryData<int> Counted => [.. Enumerable.Range(0, Journey.Length).Where(i => Journey[i] is SiteEvent s && UndoneSiteFact.Of(s) is not null)];

    /// <summary>The journey with the counted fact at <paramref name="at"/> retracted at its end, as the store decides it.</summary>
    private static List<(Guid Id, JourneyEvent Fact)> FactRetractedAt(int at)
    {
        var facts = Journey.Select(f => (Id: Guid.CreateVersion7(), Fact: f)).ToList();
        facts.Add((Guid.CreateVersion7(), new EventRetracted
        {
            RetractedEventId = facts[at].Id, Reason = "wrong site", OccurredAt = Y(2021), Provenance = Stated, SiteFact = UndoneSiteFact.Of((SiteEvent)Journey[at]),
        }));
        return facts;
    }

    private static string SiteFigures(InnovationSummary s) => new
    {
        Sites = string.Join(",", s.Sites.OrderBy(x => x.Key).Select(x => $"{x.Key}:{x.Value}")),
        ByState = string.Join(",", s.SitesByState.Where(x => x.Value != 0).OrderBy(x => x.Key).Select(x => $"{x.Key}:{x.Value}")),
        s.SiteEventLiveCount, s.LiveOutsideOrigin, s.SustainedSiteCount, s.Decisions, s.Declines, s.EverLive, s.LiveSiteCount, s.Stage,
        Overlays = string.Join(",", s.Overlays),
    }.ToString()!;

    private static string Entry(SiteAdoption? s) => s is null ? "none" : new
    {
        s.State, Transitions = string.Join(",", s.Transitions.Select(t => $"{t.State}@{t.EventId}")), s.DeclineReason, s.DiscontinuationReason, s.StaffTrained,
        s.Commissioned, s.Commissionings,
        Adaptations = string.Join(",", s.Adaptations.Select(a => $"{a.Component}:{a.Change}")), SharedWith = string.Join(",", s.SharedWith),
    }.ToString()!;

    [Theory]
    [MemberData(nameof(Changes))]
    public void The_summary_after_a_retracted_change_of_site_state_has_the_site_figures_and_stage_of_a_journey_without_it(int at)
    {
        var retracted = RetractedAt(at);
        var without = retracted.Take(at).ToArray();

        SiteFigures(Summary(new StageThresholds(), [.. retracted])).ShouldBe(SiteFigures(Summary(new StageThresholds(), without)));
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void The_register_entry_after_a_retracted_change_of_site_state_is_the_entry_without_it(int at)
    {
        var retracted = RetractedAt(at);

        Entry(Register(retracted)).ShouldBe(Entry(Register(retracted.Take(at))));
    }

    [Theory]
    [MemberData(nameof(Counted))]
    public void The_register_entry_after_a_retracted_site_fact_is_the_entry_without_it(int at)
    {
        var retracted = FactRetractedAt(at);
        var without = retracted.Take(retracted.Count - 1).Where((_, i) => i != at);

        Entry(Register(retracted)).ShouldBe(Entry(Register(without)));
    }

    [Fact]
    public void A_site_is_commissioned_while_one_of_its_commissionings_stands()
    {
        var facts = Journey.Select(f => (Id: Guid.CreateVersion7(), Fact: f)).ToList();
        var commissionings = facts.Where(f => f.Fact is CommissioningSecured).ToList();
        (Register(facts)!.Commissioned, Register(facts)!.Commissionings).ShouldBe((true, 2));

        foreach (var (left, (id, fact)) in commissionings.Select((c, i) => (commissionings.Count - 1 - i, c)))
        {
            facts.Add((Guid.CreateVersion7(), new EventRetracted { RetractedEventId = id, Reason = "another site's", OccurredAt = Y(2021), Provenance = Stated, SiteFact = UndoneSiteFact.Of((SiteEvent)fact) }));
            var entry = Register(facts)!;
            (entry.Commissioned, entry.Commissionings).ShouldBe((left > 0, left));
        }
    }

    [Fact]
    public void An_as_of_view_from_before_a_retracted_staff_training_counts_the_training_as_it_was_then()
    {
        // The second training (5, in 2015) retracted: as of the end of 2014 only the first (3) had happened, and stays counted.
        var second = Array.FindLastIndex(Journey, f => f is StaffTrained);
        var events = FactRetractedAt(second).Select((f, i) => Wrap(f.Fact, i + 1, f.Id)).ToList();
        var id = SiteAdoption.IdFor(InnovationId, Site);

        JourneyFold.Of(events, new StageThresholds(), new TimeAxes(new DateOnly(2014, 12, 31), null)).Sites[id].StaffTrained.ShouldBe(3);
        JourneyFold.Of(events, new StageThresholds()).Sites[id].StaffTrained.ShouldBe(3);
        JourneyFold.Of(events.Take(events.Count - 1), new StageThresholds()).Sites[id].StaffTrained.ShouldBe(8);
    }

    [Fact]
    public void An_as_of_view_from_before_the_retracted_event_keeps_the_site_as_it_was_then()
    {
        // Resumed in 2018, and the resumption retracted: the site goes back from live to suspended. As of 2016 the site was live,
        // as it was before the suspension; the retraction counts (it says how the past was) but has nothing there to take back.
        var resumed = Array.FindIndex(Journey, f => f is AdoptionResumed);
        var facts = RetractedAt(resumed);
        var events = facts.Select((f, i) => Wrap(f.Fact, i + 1, f.Id)).ToList();

        var then = JourneyFold.Of(events, new StageThresholds(), new TimeAxes(new DateOnly(2016, 12, 31), null));
        var now = JourneyFold.Of(events, new StageThresholds());

        then.Summary!.Sites[Site].ShouldBe(SiteState.Sustained);
        then.Sites[SiteAdoption.IdFor(InnovationId, Site)].State.ShouldBe(SiteState.Sustained);
        (then.Summary.SiteEventLiveCount, then.Summary.SustainedSiteCount).ShouldBe((2, 1));
        now.Summary!.Sites[Site].ShouldBe(SiteState.Suspended);
        now.Sites[SiteAdoption.IdFor(InnovationId, Site)].State.ShouldBe(SiteState.Suspended);
        now.Summary.SiteEventLiveCount.ShouldBe(1);
    }

    [Fact]
    public void A_site_whose_only_change_is_retracted_leaves_the_summary_and_the_register()
    {
        var aware = Array.FindIndex(Journey, f => f is AdopterAware);
        var events = RetractedAt(aware).Select((f, i) => Wrap(f.Fact, i + 1, f.Id)).ToList();

        Summary(new StageThresholds(), [.. RetractedAt(aware)]).Sites.ShouldNotContainKey(Site);
        Register(RetractedAt(aware)).ShouldBeNull();
        JourneyFold.Of(events, new StageThresholds()).Sites.ShouldNotContainKey(SiteAdoption.IdFor(InnovationId, Site));

        // Anything else recorded about the site keeps its entry, without a state.
        var commissioned = RetractedAt(aware);
        commissioned.Insert(aware + 1, (Guid.CreateVersion7(), new CommissioningSecured { SiteId = Site, Commissioner = "an ICB", OccurredAt = Y(2008), Provenance = Stated }));
        var entry = Register(commissioned).ShouldNotBeNull();
        (entry.State, entry.Commissioned, entry.Transitions.Count).ShouldBe((null, true, 0));
    }

    private static SiteAdoption? Register(IEnumerable<(Guid Id, JourneyEvent Fact)> facts)
    {
        var projection = new SiteAdoptionProjection();
        var id = SiteAdoption.IdFor(InnovationId, Site);
        SiteAdoption? s = null;
        var version = 0;
        foreach (var (eventId, fact) in facts)
        {
            version++;
            if (SiteAdoptionProjection.SiteOf(fact) == Site)
            {
                s = projection.Next(s, id, Wrap(fact, version, eventId));
            }
        }

        return s;
    }
}
