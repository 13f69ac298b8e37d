using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.Tests;
using JasperFx.Events;
using static AdoptionEvents.UnitTests.ReadModels.Folding;

namespace AdoptionEvents.UnitTests.ReadModels;

/// <summary>
/// A correction makes every read model what it would be had the fact been recorded as corrected: the summary (in the builder's batch,
/// the as-of fold and a fold gone on from a checkpoint), the change log, the site register, and an as-of cut that reads the corrected date.
/// </summary>
public class CorrectionFoldTests
{
    private static readonly Guid Site = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c1");
    private static readonly Guid OtherSite = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c2");
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Each fact of the sample journey that a correction may name: neither a retraction or correction, nor retracted.</summary>
    public static TheoryData<string> Correctable
    {
        get
        {
            var sample = Sample(Site, OtherSite);
            var retracted = sample.Select(f => f.Fact).OfType<EventRetracted>().Select(r => r.RetractedEventId).ToHashSet();
            return [.. sample.Where(f => f.Fact is not (EventRetracted or EventCorrected) && !retracted.Contains(f.Id)).Select(f => f.Label)];
        }
    }

    /// <summary>The sample journey with each of its corrections as the store decides it (carrying what the register needs), in turn.</summary>
    private static List<(string Label, Guid Id, JourneyEvent Fact)> Decided()
    {
        var sample = Sample(Site, OtherSite);
        for (var i = 0; i < sample.Count; i++)
        {
            if (sample[i].Fact is EventCorrected c)
            {
                sample[i] = sample[i] with { Fact = Decide(c, StandingOf(sample.Take(i), c.CorrectedEventId)).Events.ShouldHaveSingleItem() };
            }
        }

        return sample;
    }

    // The fact as the events so far leave it, as the store reads it for a correction.
    private static JourneyEvent StandingOf(IEnumerable<(string Label, Guid Id, JourneyEvent Fact)> facts, Guid id)
    {
        var events = Events(facts.Select(f => (f.Id, f.Fact)));
        return (JourneyEvent)Amendments.Of(events).Standing(events.Single(e => e.Id == id))!.Data;
    }

    // The correction decided as the store decides it, the fact it names known as it stands.
    private static Decision Decide(EventCorrected correction, JourneyEvent standing)
    {
        var context = new DecisionContext(new Dictionary<Guid, KnownEvent> { [correction.CorrectedEventId] = KnownEvent.Of(correction.CorrectedEventId, InnovationId, standing) },
            new HashSet<Guid> { Site, OtherSite }, new HashSet<Guid>());
        return JourneyDecider.Decide(new Journey { Id = InnovationId, Name = "ESCAPE-pain" }, correction with { InnovationId = InnovationId }, context, Now, "recorder");
    }

    /// <summary>
    /// The corrected journey, the journey recorded as corrected, and the changes: the date moved to 2001 and every other field a
    /// correction may change changed (text suffixed, a number one more, a flag turned), each the decider refuses (a code off its
    /// vocabulary, a value out of range) left as it was. The correction is decided as the store decides it, so it carries what the
    /// register needs.
    /// </summary>
    private static (List<IEvent> Corrected, List<IEvent> Recorded, IReadOnlyDictionary<string, JsonElement> Changes) Pair(string label)
    {
        var sample = Decided();
        var target = sample.Single(f => f.Label == label);
        var standing = StandingOf(sample, target.Id);
        var changes = Changes(standing);
        EventCorrected decided;
        while (true)
        {
            var decision = Decide(Correction(target.Id, changes), standing);
            if (!decision.Refused)
            {
                decided = (EventCorrected)decision.Events.Single();
                break;
            }

            // Each field the decider refuses is left as it was (a code off its vocabulary, a value out of range); the date never is.
            var refused = decision.Refusals.Select(r => r.Field.Split('.')[1]).ToHashSet();
            refused.ShouldNotContain("occurredAt");
            changes = changes.Where(c => !refused.Contains(c.Key)).ToDictionary();
        }

        var corrected = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), decided)]);
        var asCorrected = CorrectedFact.Apply(standing, changes);
        var recorded = Events(sample
            .Where(f => f.Fact is not EventCorrected c || c.CorrectedEventId != target.Id)
            .Select(f => (f.Id, f.Id == target.Id ? asCorrected : f.Fact)));
        return (corrected, recorded, changes);
    }

    private static EventCorrected Correction(Guid id, IReadOnlyDictionary<string, JsonElement> changes) => new()
    {
        CorrectedEventId = id, Changes = changes, Reason = "the source says otherwise", OccurredAt = SampleJourney.Year("2024"), Provenance = new Provenance { Basis = Basis.Stated },
    };

    private static Dictionary<string, JsonElement> Changes(JourneyEvent fact)
    {
        var type = fact.GetType();
        var changes = new Dictionary<string, JsonElement> { ["occurredAt"] = JsonSerializer.SerializeToElement(new { value = "2001", precision = "year" }) };
        foreach (var (field, value) in JsonSerializer.SerializeToNode(fact, type, Json.Options)!.AsObject())
        {
            if (CorrectedFact.IsFixed(type, field) || field is "occurredAt" or "innovationId" || value is null)
            {
                continue;
            }

            JsonNode? changed = value.GetValueKind() switch
            {
                JsonValueKind.String => $"{value.GetValue<string>()} (corrected)",
                JsonValueKind.Number => value.GetValue<decimal>() + 1,
                JsonValueKind.True => false,
                JsonValueKind.False => true,
                _ => null,
            };
            if (changed is not null)
            {
                changes[field] = JsonSerializer.SerializeToElement(changed);
            }
        }

        return changes;
    }

    [Theory]
    [MemberData(nameof(Correctable))]
    public void After_a_correction_every_read_model_is_that_of_the_journey_recorded_as_corrected(string label)
    {
        var (corrected, recorded, changes) = Pair(label);
        changes.Count.ShouldBeGreaterThan(0);
        var projection = new InnovationSummaryProjection(new StageThresholds());
        var expected = Said(projection.Fold(InnovationId, recorded));

        var batch = SummaryBatch.Empty();
        batch.Fold(projection, corrected);
        Said(batch.Summaries[InnovationId]).ShouldBe(expected);
        var folded = JourneyFold.Of(corrected, new StageThresholds());
        Said(folded.Summary).ShouldBe(expected);

        // A fold gone on from a checkpoint taken before the correction meets it after the fact it corrects.
        var after = JourneyFold.Of(corrected.Take(corrected.Count - 1), new StageThresholds()).Copy();
        after.Apply(corrected[^1]);
        Said(after.Summary).ShouldBe(expected);

        var expectedFold = JourneyFold.Of(recorded, new StageThresholds());
        Log(folded).ShouldBe(Log(expectedFold));
        Log(after).ShouldBe(Log(expectedFold));
        Register(folded).ShouldBe(Register(expectedFold));
        Register(after).ShouldBe(Register(expectedFold));

        // As of the end of 2010: the fact counts at its corrected date (2001), wherever it was recorded.
        var cut = new TimeAxes(new DateOnly(2010, 12, 31), null);
        var cutExpected = JourneyFold.Of(recorded, new StageThresholds(), cut);
        var cutCorrected = JourneyFold.Of(corrected, new StageThresholds(), cut);
        Said(cutCorrected.Summary).ShouldBe(Said(cutExpected.Summary));
        Register(cutCorrected).ShouldBe(Register(cutExpected));

        batch.Summaries[InnovationId].LastEvent!.Type.ShouldBe("event_corrected");
    }

    [Fact]
    public void A_date_corrected_past_the_cut_leaves_its_fact_out_of_the_as_of_view()
    {
        var sample = Sample(Site, OtherSite);
        var live = sample.Single(f => f.Label == "live");
        var moved = Correction(live.Id, SampleJourney.Changes(("occurredAt", new { value = "2019", precision = "year" })));
        var events = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), moved)]);
        var cut = new TimeAxes(new DateOnly(2015, 12, 31), null);

        var asOf = JourneyFold.Of(events, new StageThresholds(), cut);
        var before = JourneyFold.Of(events.SkipLast(1), new StageThresholds(), cut);

        // Recorded in 2014, live at the end of 2015; corrected to 2019, not yet.
        before.Summary!.KeyDates.ShouldContainKey("first_live");
        asOf.Summary!.KeyDates.ShouldNotContainKey("first_live");
        asOf.Sites.Values.Single(s => s.SiteId == Site).State.ShouldNotBe(SiteState.Live);
        cut.Over(events).Includes(events.Single(e => e.Id == live.Id)).ShouldBeFalse();
        cut.Includes(events.Single(e => e.Id == live.Id)).ShouldBeTrue();
    }

    [Fact]
    public void A_correction_stored_before_they_were_checked_corrects_only_what_a_correction_may()
    {
        var sample = Sample(Site, OtherSite);
        var trained = sample.Single(f => f.Label == "trained");
        // Stored by an earlier version, which did not check corrections.
        var old = Correction(trained.Id, SampleJourney.Changes(("siteId", OtherSite), ("count", "many"), ("role", "nurses"), ("occurredAt", new { value = "2001", precision = "year" })));
        var events = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), old)]);

        // The site stays (a reference); a value its field cannot hold leaves the whole correction unread, as no recording could make it.
        var standing = (StaffTrained)Amendments.Of(events).Standing(events.Single(e => e.Id == trained.Id))!.Data;
        (standing.SiteId, standing.Count, standing.Role).ShouldBe((Site, 15, "physiotherapists"));

        // A date no recording could have (month 13) leaves its whole correction unread too, and every fold goes on.
        var unreadable = old with { Changes = SampleJourney.Changes(("role", "nurses"), ("occurredAt", new { value = "2016-13", precision = "month" })) };
        var withUnreadable = Events([.. sample.Select(f => (f.Id, f.Fact)), (Guid.CreateVersion7(), unreadable)]);
        ((StaffTrained)Amendments.Of(withUnreadable).Standing(withUnreadable.Single(e => e.Id == trained.Id))!.Data).Role.ShouldBe("physiotherapists");
        JourneyFold.Of(withUnreadable, new StageThresholds(), new TimeAxes(new DateOnly(2015, 12, 31), null)).Summary.ShouldNotBeNull();

        // An as-of cut reads the date every fold reads: the one the corrections that could be read leave (2013-06), not 2001.
        var cut = new TimeAxes(new DateOnly(2005, 12, 31), null).Over(events);
        cut.Moved[trained.Id].ShouldBe(new PartialDate { Value = "2013-06", Precision = DatePrecision.Month }.Midpoint);
        cut.Includes(events.Single(e => e.Id == trained.Id)).ShouldBeFalse();
    }

    private static string Register(JourneyFold fold) => JsonSerializer.Serialize(fold.Sites.Values.OrderBy(s => s.SiteId).Select(s => new
    {
        s.SiteId, s.State, Transitions = s.Transitions.Select(t => $"{t.State}@{t.OccurredAt}"), s.Adaptations, s.StaffTrained, s.Commissioned, s.Commissionings,
        s.DeclineReason, s.DiscontinuationReason, s.SharedWith,
    }));
}
