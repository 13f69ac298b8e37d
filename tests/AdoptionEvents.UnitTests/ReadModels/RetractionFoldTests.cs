using System.Text.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.Tests;
using JasperFx.Events;
using static AdoptionEvents.UnitTests.ReadModels.Folding;

namespace AdoptionEvents.UnitTests.ReadModels;

/// <summary>
/// A retraction folds the summary again without the event it retracts: every figure, flag, funding line and date, the stage and the
/// date each stage was first reached are those of the journey as if the event had never been recorded, in every fold that makes a
/// summary (the daemon's and the builder's batches, the as-of fold, and a fold gone on from a checkpoint).
/// </summary>
public class RetractionFoldTests
{
    private static readonly Guid Site = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c1");
    private static readonly Guid OtherSite = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c2");
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    /// <summary>Each fact of the sample journey but its own retractions, by label.</summary>
    public static TheoryData<string> Retractable => [.. Sample(Site, OtherSite).Where(f => f.Fact is not EventRetracted).Select(f => f.Label)];

    private static EventRetracted Retraction(Guid id) => new() { RetractedEventId = id, Reason = "recorded in error", OccurredAt = SampleJourney.Year("2024"), Provenance = Stated };

    /// <summary>The journey with <paramref name="label"/> retracted at its end, and the journey without that fact.</summary>
    private static (List<IEvent> Retracted, List<IEvent> Without) Pair(string label)
    {
        var sample = Sample(Site, OtherSite);
        var target = sample.Single(f => f.Label == label);
        var retracted = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), Retraction(target.Id))]);
        var without = Events(sample.Where(f => f.Label != label).Select(f => (f.Id, f.Fact)));
        return (retracted, without);
    }

    [Theory]
    [MemberData(nameof(Retractable))]
    public void After_a_retraction_the_summary_says_what_it_says_of_the_journey_without_the_retracted_fact(string label)
    {
        var (retracted, without) = Pair(label);
        var projection = new InnovationSummaryProjection(new StageThresholds());
        var expected = Said(projection.Fold(InnovationId, without));

        // A batch from nothing (the builder's), one page of the whole journey.
        var batch = SummaryBatch.Empty();
        batch.Fold(projection, retracted);
        Said(batch.Summaries[InnovationId]).ShouldBe(expected);

        // The as-of fold, which meets the retraction after the fact it takes back.
        Said(JourneyFold.Of(retracted, new StageThresholds()).Summary).ShouldBe(expected);

        // A fold gone on from a checkpoint taken before the retraction.
        var before = JourneyFold.Of(retracted.Take(retracted.Count - 1), new StageThresholds());
        var after = before.Copy();
        after.Apply(retracted[^1]);
        Said(after.Summary).ShouldBe(expected);
        before.Summary!.EventCount.ShouldBe(retracted.Count - 1);

        // The change log: the retracted fact is no node, and what led to it through it alone is none either.
        var expectedLog = Log(JourneyFold.Of(without, new StageThresholds()));
        Log(JourneyFold.Of(retracted, new StageThresholds())).ShouldBe(expectedLog);
        Log(after).ShouldBe(expectedLog);

        // What only the record says: every event counts, the retraction is the last.
        var summary = batch.Summaries[InnovationId];
        summary.EventCount.ShouldBe(retracted.Count);
        (summary.LastEvent!.Id, summary.LastEvent.Type).ShouldBe((retracted[^1].Id, "event_retracted"));
    }

    [Fact]
    public void A_retracted_first_go_live_moves_the_dates_it_set_to_the_next_site_live()
    {
        var registered = new InnovationRegistered { Name = "Flo", InnovationType = "digital", OriginOrganisationId = Site, OccurredAt = SampleJourney.Year("2005"), Provenance = Stated };
        JourneyEvent[] Live(Guid site, string year) =>
        [
            new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year(year), Provenance = Stated },
            new ServiceWentLive { SiteId = site, OccurredAt = SampleJourney.Year(year), Provenance = Stated },
        ];
        JourneyEvent[] journey = [registered, .. Live(OtherSite, "2009"), .. Live(Site, "2011")];
        var facts = journey.Select(f => (Id: Guid.CreateVersion7(), Fact: f)).ToList();
        var firstLive = facts[2].Id;

        var before = Summary(new StageThresholds(), [.. facts]);
        (before.KeyDates["first_adoption_outside_origin"].Value, before.KeyDates["early_spread"].Value, before.LastNewLiveSite).ShouldBe(("2009", "2009", new DateOnly(2011, 7, 2)));

        // The other site's go-live was another trust's: it takes back the date the innovation first spread, and the stage.
        var after = Summary(new StageThresholds(), [.. facts, (Guid.CreateVersion7(), Retraction(firstLive))]);

        after.KeyDates.ShouldNotContainKey("first_adoption_outside_origin");
        after.KeyDates.ShouldNotContainKey("early_spread");
        (after.KeyDates["first_live"].Value, after.KeyDates["embedded_at_origin"].Value, after.Stage).ShouldBe(("2011", "2011", Stage.EmbeddedAtOrigin));
        (after.EverLive, after.SiteEventLiveCount, after.Sites[OtherSite]).ShouldBe((1, 1, SiteState.Adopting));
    }

    [Fact]
    public void A_retracted_pilot_and_funding_leave_no_flag_date_or_funding_line()
    {
        var pilot = (Id: Guid.CreateVersion7(), Fact: (JourneyEvent)new PilotStarted { OccurredAt = SampleJourney.Year("2006"), Provenance = Stated });
        var funding = (Id: Guid.CreateVersion7(), Fact: (JourneyEvent)new FundingSecured
        {
            Funder = "a charity", Purpose = "development", Amount = new Money { Amount = 30000, Currency = "GBP" }, OccurredAt = SampleJourney.Year("2006"), Provenance = Stated,
        });
        var registered = (Id: Guid.CreateVersion7(), Fact: (JourneyEvent)new InnovationRegistered { Name = "Flo", InnovationType = "digital", OccurredAt = SampleJourney.Year("2005"), Provenance = Stated });

        var before = Summary(new StageThresholds(), registered, pilot, funding);
        (before.PilotStarted, before.Stage, before.Funding.Count).ShouldBe((true, Stage.Piloting, 1));

        var after = Summary(new StageThresholds(), registered, pilot, funding, (Guid.CreateVersion7(), Retraction(pilot.Id)), (Guid.CreateVersion7(), Retraction(funding.Id)));

        (after.PilotStarted, after.Stage, after.Funding.Count, after.EventCount).ShouldBe((false, Stage.Conceived, 0, 5));
        after.KeyDates.Keys.ShouldBe(["conceived"]);
    }

    [Fact]
    public void A_replay_page_after_retractions_shows_each_step_as_the_journey_stood_then()
    {
        // The sample's own two retractions, and the pilot retracted at the end: pages start before, between and after them.
        var sample = Sample(Site, OtherSite);
        var pilot = sample.Single(f => f.Label == "pilot");
        var events = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), Retraction(pilot.Id)), (Guid.CreateVersion7(), sample.Single(f => f.Label == "metric").Fact)]);
        // What each step must show: the journey as it stood after that event, folded alone.
        string Stood(int version) => Shown(JourneyFold.Of(events.Take(version), new StageThresholds()).Summary!);
        static string Shown(InnovationSummary s) => JsonSerializer.Serialize(new { s.Stage, s.Overlays, s.LiveSiteCount, ByState = s.SitesByState.Where(x => x.Value > 0).ToDictionary(), s.OpenBarrierCount, s.DominoChanges });
        static string Step(ReplayStep s) => JsonSerializer.Serialize(new { s.Stage, s.Overlays, LiveSiteCount = s.LiveSites, ByState = s.SitesByState, OpenBarrierCount = s.OpenBarriers, s.DominoChanges });

        foreach (var from in Enumerable.Range(1, events.Count))
        {
            foreach (var step in AsOfEndpoints.ReplayOf(InnovationId, events, new StageThresholds(), from, 5).Steps)
            {
                Step(step).ShouldBe(Stood((int)step.Version), $"page from {from}, step {step.Version}");
            }
        }
    }

    [Fact]
    public void An_as_of_view_from_before_a_retraction_keeps_what_the_retraction_took_back_later()
    {
        // The pilot (2006) retracted in 2024, on the recorded axis: the record as of before the retraction still shows it.
        var sample = Sample(Site, OtherSite);
        var pilot = sample.Single(f => f.Label == "pilot");
        var events = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), Retraction(pilot.Id))]);
        var recordedBefore = events[^2].Timestamp;

        JourneyFold.Of(events, new StageThresholds(), new TimeAxes(null, recordedBefore)).Summary!.KeyDates["first_pilot"].Value.ShouldBe("2006");
        JourneyFold.Of(events, new StageThresholds()).Summary!.KeyDates.ShouldNotContainKey("first_pilot");
    }
}
