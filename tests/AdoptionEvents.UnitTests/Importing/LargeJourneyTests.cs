using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;

namespace AdoptionEvents.UnitTests.Importing;

public class LargeJourneyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_default_journey_has_5000_sites_and_50000_events_and_passes_the_rules_the_API_applies()
    {
        var batch = LargeJourney.Generate();

        batch.Journeys.Count.ShouldBe(1);
        batch.EventCount.ShouldBe(50_000);
        batch.Organisations.Count(o => o.Kind is OrganisationKind.Trust or OrganisationKind.GpPractice).ShouldBe(5_000);
        batch.Journeys[0].Events.Select(e => e.Fact).OfType<SiteEvent>().Select(e => e.SiteId).Distinct().Count().ShouldBe(5_000);
        ImportValidation.Check(batch, StoreKnowledge.Empty, Now, "generator").ShouldBeEmpty();
    }

    [Fact]
    public void A_smaller_journey_has_the_requested_counts_and_passes_the_rules_too()
    {
        var batch = LargeJourney.Generate(sites: 500, events: 5_000, seed: 7);

        batch.EventCount.ShouldBe(5_000);
        batch.Journeys[0].Events.Select(e => e.Fact).OfType<SiteEvent>().Select(e => e.SiteId).Distinct().Count().ShouldBe(500);
        ImportValidation.Check(batch, StoreKnowledge.Empty, Now, "generator").ShouldBeEmpty();
    }

    [Fact]
    public void Most_sites_are_live_at_the_end_and_the_events_span_more_than_a_decade()
    {
        var journey = LargeJourney.Generate(sites: 1_000, events: 10_000).Journeys[0];
        var state = journey.Events.Aggregate((Journey?)null, (s, e) => Journey.After(s, e.Id, e.Fact))!;
        var years = journey.Events.Select(e => e.Fact.OccurredAt.Earliest.Year).ToList();

        state.Sites.Count.ShouldBe(1_000);
        state.Sites.Values.Count(s => s.State is SiteState.Live or SiteState.Sustained).ShouldBeGreaterThan(500);
        (years.Max() - years.Min()).ShouldBeGreaterThanOrEqualTo(12);
        years.Count(y => y < 2019).ShouldBeGreaterThan(1_000);
    }

    [Fact]
    public void The_same_seed_gives_the_same_journey_and_another_seed_another()
    {
        var first = LargeJourney.Generate(sites: 200, events: 2_000, seed: 3);
        var again = LargeJourney.Generate(sites: 200, events: 2_000, seed: 3);
        var other = LargeJourney.Generate(sites: 200, events: 2_000, seed: 4);

        Json(again).ShouldBe(Json(first));
        Json(other).ShouldNotBe(Json(first));
    }

    [Fact]
    public void Too_few_events_for_the_sites_is_refused()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => LargeJourney.Generate(sites: 1_000, events: 1_000));
    }

    private static List<string> Json(ImportBatch batch) =>
        [.. batch.Journeys.SelectMany(j => j.Events).Select(e => e.Id + System.Text.Json.JsonSerializer.Serialize(e.Fact, e.Fact.GetType(), AdoptionEvents.Hosting.Json.Options))];
}
