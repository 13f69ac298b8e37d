using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Journeys;

public class SiteTransitionTests
{
    private static T Site<T>(T e) where T : SiteEvent => e;

    private static readonly ServiceWentLive GoLive = new() { SiteId = Facts.Site, OccurredAt = Day("2015-01-01"), Provenance = Stated };
    private static readonly AdoptionDecided Adopt = new() { SiteId = Facts.Site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Day("2014-01-01"), Provenance = Stated };
    private static readonly AdoptionDecided Decline = Adopt with { Outcome = AdoptionOutcome.Decline, Reason = "prior telehealth failure" };
    private static readonly AdoptionDiscontinued Discontinue = new() { SiteId = Facts.Site, Reason = "funding ended", OccurredAt = Day("2018-01-01"), Provenance = Stated };

    public static TheoryData<SiteState?, string, SiteState> Allowed => new()
    {
        { null, "adopter_aware", SiteState.Aware },
        { SiteState.Aware, "adoption_considered", SiteState.Considering },
        { SiteState.Considering, "adopt", SiteState.Adopting },
        { SiteState.Considering, "decline", SiteState.Declined },
        { SiteState.Considering, "defer", SiteState.Deferred },
        { SiteState.Deferred, "adopt", SiteState.Adopting },
        { SiteState.Adopting, "implementation_started", SiteState.Implementing },
        { SiteState.Implementing, "service_went_live", SiteState.Live },
        { SiteState.Adopting, "service_went_live", SiteState.Live },
        { SiteState.Live, "sustainment_confirmed", SiteState.Sustained },
        { SiteState.Live, "adoption_suspended", SiteState.Suspended },
        { SiteState.Suspended, "adoption_resumed", SiteState.Live },
        { SiteState.Sustained, "adoption_discontinued", SiteState.Discontinued },
        { SiteState.Suspended, "adoption_discontinued", SiteState.Discontinued },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Each_step_of_the_innovation_decision_process_leads_to_the_next_state(SiteState? from, string step, SiteState to)
    {
        var (next, refusal) = SiteTransitions.Next(from, Step(step));

        refusal.ShouldBeNull();
        next.ShouldBe(to);
    }

    [Theory]
    [InlineData(null, "service_went_live")]
    [InlineData(SiteState.Considering, "service_went_live")]
    [InlineData(SiteState.Declined, "service_went_live")]
    [InlineData(null, "adoption_discontinued")]
    [InlineData(SiteState.Implementing, "adoption_discontinued")]
    [InlineData(SiteState.Live, "adoption_resumed")]
    [InlineData(SiteState.Aware, "adopter_aware")]
    [InlineData(SiteState.Discontinued, "sustainment_confirmed")]
    [InlineData(SiteState.Aware, "implementation_started")]
    public void A_step_out_of_order_is_refused_with_the_states_it_may_follow(SiteState? from, string step)
    {
        var (next, refusal) = SiteTransitions.Next(from, Step(step));

        next.ShouldBe(from);
        refusal.ShouldNotBeNull().ShouldContain($"{step} cannot follow site state");
        refusal.ShouldContain("allowed from:");
    }

    [Fact]
    public void Milestones_that_do_not_move_the_site_keep_its_state()
    {
        var trained = new StaffTrained { SiteId = Facts.Site, Count = 12, OccurredAt = Day("2015-01-01"), Provenance = Stated };

        SiteTransitions.Next(SiteState.Implementing, trained).ShouldBe((SiteState.Implementing, null));
        SiteTransitions.Next(null, trained).Refusal.ShouldNotBeNull();
    }

    private static SiteEvent Step(string step) => step switch
    {
        "adopter_aware" => new AdopterAware { SiteId = Facts.Site, OccurredAt = Day("2013-01-01"), Provenance = Stated },
        "adoption_considered" => new AdoptionConsidered { SiteId = Facts.Site, OccurredAt = Day("2013-06-01"), Provenance = Stated },
        "adopt" => Adopt,
        "decline" => Decline,
        "defer" => Adopt with { Outcome = AdoptionOutcome.Defer },
        "implementation_started" => new ImplementationStarted { SiteId = Facts.Site, OccurredAt = Day("2014-06-01"), Provenance = Stated },
        "service_went_live" => GoLive,
        "sustainment_confirmed" => new SustainmentConfirmed { SiteId = Facts.Site, OccurredAt = Day("2016-01-01"), Provenance = Stated },
        "adoption_suspended" => new AdoptionSuspended { SiteId = Facts.Site, Reason = "staff shortage", OccurredAt = Day("2016-01-01"), Provenance = Stated },
        "adoption_resumed" => new AdoptionResumed { SiteId = Facts.Site, OccurredAt = Day("2016-06-01"), Provenance = Stated },
        "adoption_discontinued" => Discontinue,
        _ => throw new ArgumentOutOfRangeException(nameof(step)),
    };
}
