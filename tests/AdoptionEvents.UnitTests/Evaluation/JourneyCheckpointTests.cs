using System.Text.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using JasperFx.Events;
using static AdoptionEvents.UnitTests.ReadModels.Folding;

namespace AdoptionEvents.UnitTests.Evaluation;

public class JourneyCheckpointTests
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated };
    private static readonly DateOnly Today = new(2026, 11, 28);
    private static readonly StageThresholds Rules = new();
    private static readonly JsonSerializerOptions Http = HttpOptions();

    private static JsonSerializerOptions HttpOptions()
    {
        var options = new JsonSerializerOptions();
        Json.ConfigureHttp(options);
        return options;
    }

    private static PartialDate Y(string v) => new() { Value = v, Precision = DatePrecision.Year };

    /// <summary>The sample journey (every event type, late-recorded facts, a correction, a retraction, links asserted and withdrawn) in stream order.</summary>
    private static IEvent[] SampleStream()
    {
        var ids = new Dictionary<string, Guid>();
        var events = new List<IEvent>();
        foreach (var (label, build) in AdoptionEvents.Tests.SampleJourney.Steps(Guid.CreateVersion7(), Guid.CreateVersion7()))
        {
            var e = Wrap(build(l => ids[l]), events.Count + 1);
            ids[label] = e.Id;
            events.Add(e);
        }

        return [.. events];
    }

    private static (DateOnly? OccurredBy, DateTimeOffset? RecordedBy)[] Cuts(IEvent[] events) =>
    [
        (null, null),
        (new DateOnly(2099, 1, 1), null),
        (new DateOnly(2013, 6, 30), null),
        (new DateOnly(2019, 12, 31), null),
        (null, events[^1].Timestamp),
        (null, events[events.Length / 2].Timestamp),
        (new DateOnly(2099, 1, 1), events[^1].Timestamp.AddDays(1)),
        (new DateOnly(2010, 1, 1), events[events.Length / 2].Timestamp),
    ];

    private static string Fresh(IReadOnlyList<IEvent> events, DateOnly? occurredBy, DateTimeOffset? recordedBy, StageThresholds? rules = null) =>
        JsonSerializer.Serialize(AsOfEndpoints.View(InnovationId, events, rules ?? Rules, occurredBy, recordedBy, Today), Http);

    private static string Kept(KeptJourney journey, DateOnly? occurredBy, DateTimeOffset? recordedBy, StageThresholds? rules = null)
    {
        var answer = AsOfEndpoints.Answer(InnovationId, journey, rules ?? Rules, Http, occurredBy, recordedBy, Today);
        return JsonSerializer.Serialize(answer, answer.GetType(), Http);
    }

    [Fact]
    public void Answers_from_the_checkpoint_are_the_bytes_of_a_fresh_fold_on_every_axis_as_the_journey_grows()
    {
        var stream = SampleStream();
        var checkpoint = new JourneyCheckpoint();
        for (var n = 1; n <= stream.Length; n += 5)
        {
            // As JourneyEvents hands them out: a longer list that starts with the same instances.
            var journey = new KeptJourney(stream[..n], checkpoint);
            foreach (var (occurredBy, recordedBy) in Cuts(stream))
            {
                Kept(journey, occurredBy, recordedBy).ShouldBe(Fresh(journey.Events, occurredBy, recordedBy), $"{n} events, occurredBy {occurredBy}, recordedBy {recordedBy}");
            }

            var latest = checkpoint.Covering(journey.Events, Rules, new TimeAxes(null, null)).ShouldNotBeNull();
            latest.Count.ShouldBe(n);
        }
    }

    [Fact]
    public void A_cut_that_leaves_an_event_out_is_not_answered_from_the_checkpoint()
    {
        var stream = SampleStream();
        var checkpoint = new JourneyCheckpoint();
        checkpoint.Covering(stream, Rules, new TimeAxes(null, null)).ShouldNotBeNull();

        checkpoint.Covering(stream, Rules, new TimeAxes(new DateOnly(2019, 12, 31), null)).ShouldBeNull();
        checkpoint.Covering(stream, Rules, new TimeAxes(null, stream[^2].Timestamp)).ShouldBeNull();
        checkpoint.Covering(stream, Rules, new TimeAxes(new DateOnly(2023, 12, 31), stream[^1].Timestamp)).ShouldNotBeNull();
        Kept(new KeptJourney(stream, checkpoint), new DateOnly(2019, 12, 31), null).ShouldBe(Fresh(stream, new DateOnly(2019, 12, 31), null));
    }

    [Fact]
    public void A_correction_and_a_retraction_recorded_later_count_on_the_occurred_axis_from_the_checkpoint_as_in_a_fresh_fold()
    {
        var site = Guid.CreateVersion7();
        var metric = Guid.CreateVersion7();
        var award = Guid.CreateVersion7();
        var stream = new List<IEvent>
        {
            Wrap(new InnovationRegistered { Name = "Late corrections", InnovationType = "digital", OriginOrganisationId = site, OccurredAt = Y("2010"), Provenance = Stated }, 1),
            Wrap(new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Y("2011"), Provenance = Stated }, 2),
            Wrap(new ServiceWentLive { SiteId = site, OccurredAt = Y("2012"), Provenance = Stated }, 3),
            Wrap(new MetricObserved { Metric = "sites_live", Value = 10, Unit = "count", OccurredAt = Y("2012"), Provenance = Stated }, 4, metric),
            Wrap(new AdoptionEvents.Journeys.Resources.AwardReceived { Award = "Regional award", OccurredAt = Y("2013"), Provenance = Stated }, 5, award),
        }.ToArray();
        IEvent[] later =
        [
            // Recorded after the cut's date was first asked for, and dated after it: they still count, as they say how the past was.
            Wrap(new EventCorrected { CorrectedEventId = metric, Changes = new Dictionary<string, JsonElement> { ["value"] = JsonSerializer.SerializeToElement(12) }, Reason = "a later report", OccurredAt = Y("2030"), Provenance = Stated }, 6),
            Wrap(new EventRetracted { RetractedEventId = award, Reason = "another programme's award", OccurredAt = Y("2030"), Provenance = Stated }, 7),
        ];

        var checkpoint = new JourneyCheckpoint();
        var occurredBy = new DateOnly(2020, 1, 1);
        var before = new KeptJourney(stream, checkpoint);
        Kept(before, occurredBy, null).ShouldBe(Fresh(stream, occurredBy, null));

        IEvent[] all = [.. stream, .. later];
        var after = new KeptJourney(all, checkpoint);
        var answer = Kept(after, occurredBy, null);
        answer.ShouldBe(Fresh(all, occurredBy, null));
        checkpoint.Covering(all, Rules, new TimeAxes(occurredBy, null)).ShouldNotBeNull().Count.ShouldBe(all.Length);
        JsonDocument.Parse(answer).RootElement.GetProperty("summary").GetProperty("observedLiveSites").GetInt32().ShouldBe(12);
        answer.ShouldNotBe(Kept(before, occurredBy, null));
    }

    [Fact]
    public void Other_stage_thresholds_or_another_list_of_events_are_folded_afresh()
    {
        var stream = SampleStream();
        var checkpoint = new JourneyCheckpoint();
        var journey = new KeptJourney(stream, checkpoint);
        Kept(journey, null, null).ShouldBe(Fresh(stream, null, null));

        var strict = new StageThresholds { ScalingShare = 0.9m, WidespreadShare = 0.95m, StallMonths = 1 };
        Kept(journey, null, null, strict).ShouldBe(Fresh(stream, null, null, strict));

        // The same number of events, not the same events: the checkpoint's fold does not answer for them.
        var other = SampleStream();
        Kept(new KeptJourney(other, checkpoint), null, null).ShouldBe(Fresh(other, null, null));
        Kept(journey, null, null).ShouldBe(Fresh(stream, null, null));
    }

    [Fact]
    public void Measures_from_the_fold_the_checkpoint_shares_with_as_of_equal_measures_of_a_fresh_fold()
    {
        var stream = SampleStream();
        var checkpoint = new JourneyCheckpoint();
        Kept(new KeptJourney(stream, checkpoint), null, null).ShouldBe(Fresh(stream, null, null));

        var shared = checkpoint.Covering(stream, Rules, new TimeAxes(null, null)).ShouldNotBeNull().Fold;
        var state = JsonSerializer.Serialize(new object?[] { shared.Summary, shared.Sites, shared.Links, shared.Funding.Count, shared.Applied }, Http);
        JsonSerializer.Serialize(Measures.Compute(shared, stream, Rules, Today), Http).ShouldBe(JsonSerializer.Serialize(Measures.Compute(stream, Rules, Today), Http));

        // Reading the measures left the shared fold as it was.
        JsonSerializer.Serialize(new object?[] { shared.Summary, shared.Sites, shared.Links, shared.Funding.Count, shared.Applied }, Http).ShouldBe(state);
    }
}
