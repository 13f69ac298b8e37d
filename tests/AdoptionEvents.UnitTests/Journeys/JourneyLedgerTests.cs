using System.Collections.Immutable;
using System.Text.Json;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Tests;
using AdoptionEvents.Hosting;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Journeys;

/// <summary>
/// The ledger is read only for the facts whose decision needs it (<see cref="JourneyLedger.IsReadBy"/>), and the
/// document the projection stores is the ledger the journey's own fold holds.
/// </summary>
public class JourneyLedgerTests
{
    private static string Sets(JourneyLedger ledger) => string.Join(" | ",
        new[] { ledger.OpenBarriers, ledger.OpenTargets, ledger.ActiveFunding, ledger.ActiveProgrammes, ledger.ActiveLinks, ledger.Retracted }
            .Select(set => string.Join(",", set.Order())));

    private static string Outcome(Decision decision) =>
        decision.Refused ? "refused: " + string.Join("; ", decision.Refusals.Select(r => $"{r.Status} {r.Field} {r.Rule}")) : "accepted";

    [Fact]
    public void Only_the_facts_that_read_the_ledger_are_decided_differently_by_it_and_the_stored_ledger_is_the_folds()
    {
        var ids = new Dictionary<string, Guid>();
        var known = new Dictionary<Guid, KnownEvent>();
        var history = new List<(Guid Id, JourneyEvent Fact)>();
        Journey? journey = null;
        var readers = new HashSet<string>();

        foreach (var (label, build) in SampleJourney.Steps(Site, OtherSite))
        {
            var fact = Fact(build(l => ids[l]));
            if (journey is not null)
            {
                var context = new DecisionContext(known, new HashSet<Guid> { Site, OtherSite }, new HashSet<Guid>());
                var decided = Outcome(JourneyDecider.Decide(journey, fact, context, Now, User));
                if (JourneyLedger.IsReadBy(fact))
                {
                    // As the commit queue decides it: with the ledger the projection stored for the events so far.
                    var stored = JourneyLedger.Stored(InnovationId, history) ?? JourneyLedger.Empty;
                    Outcome(JourneyDecider.Decide(journey with { Ledger = stored }, fact, context, Now, User)).ShouldBe(decided, $"step '{label}'");
                    readers.Add(EventCatalogue.Of(fact).Name);
                }
                else
                {
                    // Not read: an empty ledger and one that holds every known event in every set decide it alike.
                    var everything = known.Keys.ToImmutableHashSet();
                    var full = new JourneyLedger
                    {
                        OpenBarriers = everything, OpenTargets = everything, ActiveFunding = everything, ActiveProgrammes = everything,
                        ActiveLinks = everything, Retracted = everything,
                    };
                    Outcome(JourneyDecider.Decide(journey with { Ledger = JourneyLedger.Empty }, fact, context, Now, User))
                        .ShouldBe(Outcome(JourneyDecider.Decide(journey with { Ledger = full }, fact, context, Now, User)), $"step '{label}'");
                }
            }

            ids[label] = Guid.NewGuid();
            known[ids[label]] = new KnownEvent(ids[label], InnovationId, EventCatalogue.Of(fact).Name);
            history.Add((ids[label], fact));
            journey = Journey.After(journey, ids[label], fact);

            var ledger = JourneyLedger.Stored(InnovationId, history);
            if (history.Any(e => JourneyLedger.Changes(e.Fact)))
            {
                ledger.ShouldNotBeNull().Id.ShouldBe(InnovationId);
                Sets(ledger).ShouldBe(Sets(journey!.Ledger), $"after step '{label}'");
            }
            else
            {
                ledger.ShouldBeNull($"no fact before step '{label}' changes the ledger");
            }
        }

        readers.ShouldBe(["barrier_resolved", "target_met", "target_missed", "funding_ended", "spread_programme_ended", "causal_link_withdrawn", "event_corrected", "event_retracted"],
            ignoreOrder: true, "the sample journey should decide every fact that reads the ledger");
    }

    [Fact]
    public void The_stored_journey_holds_no_ledger_however_many_barriers_stand_open()
    {
        var barriers = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        var journey = Fold([
            (Guid.NewGuid(), new InnovationRegistered { Name = "Flo", InnovationType = "digital", OccurredAt = Day("2009-01-01"), Provenance = Stated }),
            .. barriers.Select(id => (id, (JourneyEvent)new BarrierEncountered
            {
                Code = "R1", Scope = BarrierScope.National, Severity = Severity.Medium, OccurredAt = Day("2012-01-01"), Provenance = Stated,
            })),
            (Guid.NewGuid(), new BarrierResolved { BarrierEventId = barriers[0], How = "addressed", OccurredAt = Day("2013-01-01"), Provenance = Stated }),
        ]);

        journey.Ledger.OpenBarriers.Count.ShouldBe(49);
        var json = JsonSerializer.Serialize(journey, Json.Options);
        json.ShouldNotContain(barriers[1].ToString());
        JsonSerializer.Deserialize<Journey>(json, Json.Options)!.Ledger.ShouldBeSameAs(JourneyLedger.Empty);
    }

    [Fact]
    public void The_ledger_lists_each_facts_corrections_in_the_order_recorded()
    {
        var (fact, other, first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        EventCorrected Correcting(Guid id) => new()
        {
            CorrectedEventId = id, Reason = "typo", Changes = new Dictionary<string, JsonElement> { ["count"] = JsonSerializer.SerializeToElement(4) },
            OccurredAt = Day("2020-01-02"), Provenance = Stated,
        };

        var ledger = JourneyLedger.Stored(InnovationId, [(first, Correcting(fact)), (second, Correcting(other)), (third, Correcting(fact))])!;

        JourneyLedger.Changes(Correcting(fact)).ShouldBeTrue();
        ledger.Corrections[fact].ShouldBe([first, third]);
        ledger.Corrections[other].ShouldBe([second]);
    }
}
