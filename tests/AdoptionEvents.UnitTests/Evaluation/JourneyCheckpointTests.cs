using System.Text.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Hosting;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
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

    /// <summary>
    /// The large journey's generator at 4,000 events (in date order), with facts recorded late among them: back-dated
    /// site facts (a shared site document changed after a kept fold), a fact dated after the journey, corrections
    /// and retractions, and a causal link, some in the middle of the stream and some at its end.
    /// </summary>
    private static IEvent[] LongStream(int extraAtEnd = 0)
    {
        var generated = LargeJourney.Generate(80, 4_000).Journeys[0].Events;
        var facts = generated.Select(e => (e.Id, e.Fact)).ToList();
        var live = generated.Where(e => e.Fact is ServiceWentLive).Select(e => ((SiteEvent)e.Fact).SiteId).ToList();
        var metrics = generated.Where(e => e.Fact is MetricObserved { Scope: MeasureScope.Innovation }).Select(e => e.Id).ToList();
        var barriers = generated.Where(e => e.Fact is BarrierEncountered).Select(e => e.Id).ToList();
        var domino = generated.Where(e => e.Fact is DominoChangeObserved).Select(e => e.Id).ToList();
        var value = new Dictionary<string, JsonElement> { ["value"] = JsonSerializer.SerializeToElement(123_456) };
        void Insert(double at, JourneyEvent fact) => facts.Insert((int)(facts.Count * at), (Guid.CreateVersion7(), fact));

        Insert(0.3, new StaffTrained { SiteId = live[0], Count = 7, OccurredAt = Y("2013"), Provenance = Stated });
        Insert(0.4, new AdaptationMade { SiteId = live[1], Component = "recall letter", Adaptation = "in Welsh", OccurredAt = Y("2014"), Provenance = Stated });
        Insert(0.5, new EventCorrected { CorrectedEventId = metrics[0], Changes = value, Reason = "a later report", OccurredAt = Y("2030"), Provenance = Stated });
        Insert(0.6, new MetricObserved { Metric = "patients_benefiting", Value = 99, Unit = "people", Cumulative = true, OccurredAt = Y("2027"), Provenance = Stated });
        Insert(0.7, new EventRetracted { RetractedEventId = barriers[0], Reason = "recorded against the wrong innovation", OccurredAt = Y("2030"), Provenance = Stated });
        facts.Add((Guid.CreateVersion7(), new KnowledgeShared { SiteId = live[2], ToSiteId = live[3], OccurredAt = Y("2015"), Provenance = Stated }));
        facts.Add((Guid.CreateVersion7(), new EventRetracted { RetractedEventId = metrics[^1], Reason = "double counted", OccurredAt = Y("2030"), Provenance = Stated }));
        facts.Add((Guid.CreateVersion7(), new CausalLinkAsserted { CauseEventId = domino[0], EffectEventId = domino[1], OccurredAt = Y("2016"), Provenance = Stated }));
        for (var i = 0; i < extraAtEnd; i++)
        {
            facts.Add((Guid.CreateVersion7(), new StaffTrained { SiteId = live[i % live.Count], Count = 1, OccurredAt = Y((2012 + (i % 14)).ToString(System.Globalization.CultureInfo.InvariantCulture)), Provenance = Stated }));
        }

        return [.. facts.Select((f, i) => Wrap(f.Fact, i + 1, f.Id))];
    }

    private static List<(DateOnly? OccurredBy, DateTimeOffset? RecordedBy)> CutsAcross(IEvent[] events, int seed)
    {
        var cuts = new List<(DateOnly?, DateTimeOffset?)>();
        for (var d = new DateOnly(2010, 6, 30); d < new DateOnly(2031, 1, 1); d = d.AddMonths(4))
        {
            cuts.Add((d, null));
        }

        foreach (var share in new[] { 0.1, 0.35, 0.55, 0.65, 0.9, 1.0 })
        {
            var k = events[(int)((events.Length - 1) * share)].Timestamp;
            cuts.Add((null, k));
            cuts.Add((new DateOnly(2019, 6, 30), k));
            cuts.Add((new DateOnly(2024, 12, 31), k));
        }

        var random = new Random(seed);
        return [.. cuts.OrderBy(_ => random.Next())];
    }

    [Fact]
    public void Cuts_at_many_dates_across_a_long_journey_with_late_facts_corrections_and_retractions_are_the_bytes_of_a_fresh_fold()
    {
        var stream = LongStream();
        var checkpoint = new JourneyCheckpoint();
        var journey = new KeptJourney(stream, checkpoint);
        var answeredFromAKeptFold = 0;
        var startedFromACopy = 0;

        // Twice, in different orders: a cut answered or started from a kept fold must leave it as it was for the next.
        foreach (var seed in new[] { 1, 2 })
        {
            foreach (var (occurredBy, recordedBy) in CutsAcross(stream, seed))
            {
                var answer = AsOfEndpoints.Answer(InnovationId, journey, Rules, Http, occurredBy, recordedBy, Today);
                var axes = new TimeAxes(occurredBy, recordedBy);
                var laterCount = stream.Skip(Prefix(stream, axes)).Any(axes.Includes);
                answeredFromAKeptFold += answer is EncodedAsOfView && !laterCount ? 1 : 0;
                startedFromACopy += answer is EncodedAsOfView && laterCount ? 1 : 0;
                JsonSerializer.Serialize(answer, answer.GetType(), Http).ShouldBe(Fresh(stream, occurredBy, recordedBy), $"occurredBy {occurredBy}, recordedBy {recordedBy}");
            }
        }

        answeredFromAKeptFold.ShouldBeGreaterThan(10);
        startedFromACopy.ShouldBeGreaterThan(10);
    }

    [Fact]
    public void Folds_of_a_prefix_still_answer_as_the_journey_grows_and_a_journey_that_grew_is_folded_on_from_the_latest()
    {
        var grown = LongStream(extraAtEnd: 1_500);
        var stream = grown[..^1_500];
        var checkpoint = new JourneyCheckpoint();
        var before = new KeptJourney(stream, checkpoint);
        Kept(before, null, null).ShouldBe(Fresh(stream, null, null));
        foreach (var (occurredBy, recordedBy) in CutsAcross(stream, 3).Take(20))
        {
            Kept(before, occurredBy, recordedBy).ShouldBe(Fresh(stream, occurredBy, recordedBy));
        }

        // As JourneyEvents hands them out: a longer list that starts with the same instances, and back-dated facts at its end.
        var after = new KeptJourney(grown, checkpoint);
        var kept = checkpoint.Start(grown, Rules, stream.Length).ShouldNotBeNull();
        kept.Count.ShouldBeLessThanOrEqualTo(stream.Length);
        Kept(after, null, null).ShouldBe(Fresh(grown, null, null));
        checkpoint.Covering(grown, Rules, new TimeAxes(null, null)).ShouldNotBeNull().Count.ShouldBe(grown.Length);
        foreach (var (occurredBy, recordedBy) in CutsAcross(grown, 4))
        {
            Kept(after, occurredBy, recordedBy).ShouldBe(Fresh(grown, occurredBy, recordedBy), $"occurredBy {occurredBy}, recordedBy {recordedBy}");
        }

        // Another rule set starts from no kept fold of the first.
        var strict = new StageThresholds { ScalingShare = 0.9m, WidespreadShare = 0.95m, StallMonths = 1 };
        foreach (var (occurredBy, recordedBy) in CutsAcross(grown, 5).Take(10))
        {
            Kept(after, occurredBy, recordedBy, strict).ShouldBe(Fresh(grown, occurredBy, recordedBy, strict));
        }
    }

    [Fact]
    public void A_copy_of_a_fold_goes_on_alone_and_copies_every_member_of_the_documents_it_changes()
    {
        var stream = LongStream();
        var half = stream.Length / 2;
        var original = JourneyFold.Of(stream[..half], Rules);
        var before = JsonSerializer.Serialize(new object?[] { original.Summary, original.Summary!.Sites, original.Summary.Barriers, original.Sites, original.Links, original.Funding.Count, original.Applied }, Http);

        var copy = original.Copy();
        foreach (var e in stream[half..])
        {
            copy.Apply(e);
        }

        JsonSerializer.Serialize(new object?[] { original.Summary, original.Summary.Sites, original.Summary.Barriers, original.Sites, original.Links, original.Funding.Count, original.Applied }, Http).ShouldBe(before);
        var whole = JourneyFold.Of(stream, Rules);
        JsonSerializer.Serialize(new object?[] { copy.Summary, copy.Summary!.Sites, copy.Summary.Barriers, copy.Sites, copy.Links, copy.Funding.Count, copy.Applied }, Http)
            .ShouldBe(JsonSerializer.Serialize(new object?[] { whole.Summary, whole.Summary!.Sites, whole.Summary.Barriers, whole.Sites, whole.Links, whole.Funding.Count, whole.Applied }, Http));

        SameMembers(original.Summary, FoldCopies.Of(original.Summary));
        foreach (var site in original.Sites.Values)
        {
            SameMembers(site, FoldCopies.Of(site));
        }
    }

    // Every public member equal in value, and no collection shared: a member left out of FoldCopies fails here.
    private static void SameMembers<T>(T original, T copy)
    {
        foreach (var member in typeof(T).GetProperties().Where(p => p.CanWrite))
        {
            var (a, b) = (member.GetValue(original), member.GetValue(copy));
            JsonSerializer.Serialize(b, member.PropertyType, Http).ShouldBe(JsonSerializer.Serialize(a, member.PropertyType, Http), $"{typeof(T).Name}.{member.Name}");
            if (a is System.Collections.IEnumerable and not string)
            {
                ReferenceEquals(a, b).ShouldBeFalse($"{typeof(T).Name}.{member.Name} is shared");
            }
        }

        if (original is InnovationSummary s && copy is InnovationSummary c)
        {
            foreach (var (metric, list) in s.Metrics)
            {
                ReferenceEquals(list, c.Metrics[metric]).ShouldBeFalse($"metric {metric} is shared");
            }
        }
    }

    private static int Prefix(IEvent[] events, TimeAxes axes)
    {
        var n = 0;
        while (n < events.Length && axes.Includes(events[n]))
        {
            n++;
        }

        return n;
    }
}
