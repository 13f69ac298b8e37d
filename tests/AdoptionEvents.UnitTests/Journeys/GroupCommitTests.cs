using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using Microsoft.Extensions.Configuration;

namespace AdoptionEvents.UnitTests.Journeys;

public class GroupCommitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(1);

    private static IConfiguration Settings(string? wait) =>
        new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create(GroupCommitWait.Setting, wait)]).Build();

    [Fact]
    public void A_command_on_a_quiet_journey_commits_at_once()
    {
        JourneyCommitQueue.WaitBeforeNext(justCommitted: false, waiting: 1, Wait).ShouldBe(TimeSpan.Zero);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(JourneyCommitQueue.FullEnough - 1)]
    public void A_lane_that_has_just_committed_waits_for_more_when_only_a_few_are_waiting(int waiting)
    {
        JourneyCommitQueue.WaitBeforeNext(justCommitted: true, waiting, Wait).ShouldBe(Wait);
    }

    [Theory]
    [InlineData(JourneyCommitQueue.FullEnough)]
    [InlineData(JourneyCommitQueue.MaxBatch)]
    public void A_lane_with_enough_waiting_commits_them_without_waiting(int waiting)
    {
        JourneyCommitQueue.WaitBeforeNext(justCommitted: true, waiting, Wait).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void With_the_wait_set_to_zero_no_lane_waits()
    {
        JourneyCommitQueue.WaitBeforeNext(justCommitted: true, waiting: 2, GroupCommitWait.From(Settings("00:00:00")).Value).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void The_wait_is_a_millisecond_unless_configured()
    {
        GroupCommitWait.From(Settings(null)).Value.ShouldBe(TimeSpan.FromMilliseconds(1));
        GroupCommitWait.From(Settings("00:00:00.005")).Value.ShouldBe(TimeSpan.FromMilliseconds(5));
    }

    [Theory]
    [InlineData("-00:00:00.001")]
    [InlineData("00:00:01")]
    [InlineData("soon")]
    public void A_wait_that_is_negative_too_long_or_not_a_time_stops_the_start_naming_the_setting(string wait)
    {
        var refused = Should.Throw<StartupConfigurationException>(() => GroupCommitWait.From(Settings(wait)));

        refused.Message.ShouldContain(GroupCommitWait.Setting);
        refused.Message.ShouldContain(wait);
    }

    private static (JourneyEvent, DecisionContext)[] Commands(params JourneyEvent[] facts) => [.. facts.Select(f => ((JourneyEvent)Facts.Fact(f), Facts.Knowing()))];

    private static StaffTrained Trained(Guid site) => new() { SiteId = site, Count = 3, OccurredAt = Facts.Day("2020-01-02"), Provenance = Facts.Stated };

    [Fact]
    public void A_lane_decides_from_what_it_kept_commands_on_the_sites_it_holds_and_on_no_site()
    {
        var kept = Facts.AtState(SiteState.Implementing);
        var domino = new DominoChangeObserved { Kind = "pathway_redesign", Target = "referral", OccurredAt = Facts.Day("2020-01-02"), Provenance = Facts.Stated };

        InPlay.KnownTo(kept, Commands(Trained(Facts.Site), domino, Trained(Facts.Site))).ShouldBeTrue();
    }

    [Fact]
    public void A_command_on_a_site_the_lane_does_not_hold_makes_it_read()
    {
        InPlay.KnownTo(Facts.AtState(SiteState.Implementing), Commands(Trained(Facts.Site), Trained(Facts.OtherSite))).ShouldBeFalse();
    }

    [Fact]
    public void A_command_that_reads_the_ledger_or_the_stored_events_makes_it_read()
    {
        var kept = Facts.AtState(SiteState.Live);
        var target = Guid.NewGuid();

        InPlay.KnownTo(kept, Commands(new BarrierResolved { BarrierEventId = target, How = "a champion", OccurredAt = Facts.Day("2020-01-02"), Provenance = Facts.Stated })).ShouldBeFalse();
        InPlay.KnownTo(kept, Commands(new EventCorrected { CorrectedEventId = target, Reason = "typo", Changes = new Dictionary<string, System.Text.Json.JsonElement>(), OccurredAt = Facts.Day("2020-01-02"), Provenance = Facts.Stated })).ShouldBeFalse();
        InPlay.KnownTo(kept, Commands(new EventRetracted { RetractedEventId = target, Reason = "recorded twice", OccurredAt = Facts.Day("2020-01-02"), Provenance = Facts.Stated })).ShouldBeFalse();
    }
}
