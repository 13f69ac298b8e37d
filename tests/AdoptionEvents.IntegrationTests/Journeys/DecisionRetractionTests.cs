using System.Net;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.Tests;

namespace AdoptionEvents.IntegrationTests.Journeys;

/// <summary>
/// What a retraction takes back of the state decisions read: an innovation retired in error is brought back into use (on a database
/// from before too), and what a retracted fact had closed is open again.
/// </summary>
public class DecisionRetractionTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static SupportOrganisationEngaged Support(string year) => new() { Organisation = "HIN", Role = "spread lead", OccurredAt = SampleJourney.Year(year), Provenance = Stated };

    [Fact]
    public async Task A_retracted_retirement_brings_the_innovation_back_into_use_and_the_upgrade_keeps_it_possible()
    {
        var client = api.Client;
        var innovation = (await client.StartAsync(new InnovationRegistered { Name = "Retired in error", InnovationType = "digital", OccurredAt = SampleJourney.Year("2010"), Provenance = Stated })).InnovationId;
        var retirement = (await client.RecordAsync(innovation, new InnovationRetired { Reason = "wrong innovation", OccurredAt = SampleJourney.Year("2020"), Provenance = Stated })).Events.Single().Id;
        var refused = await ApiClient.ProblemAsync(await client.PostFactAsync(innovation, ApiClient.Body(Support("2021"))), HttpStatusCode.Conflict);
        refused.GetProperty("rule").GetString().ShouldBe("retired");

        // As a database written before the journeys kept their retirement: the upgrade sees it and rebuilds them at start.
        await api.UpgradeFromOlderAsync<JourneyUpgrade>("update {schema}.mt_doc_journey set data = data - 'retiredBy'");

        await client.RecordAsync(innovation, new EventRetracted { RetractedEventId = retirement, Reason = "retired in error", OccurredAt = SampleJourney.Year("2021"), Provenance = Stated });
        await client.RecordAsync(innovation, Support("2021"));

        await api.CatchUpAsync();
        await using var session = api.Store.QuerySession();
        var summary = (await session.LoadAsync<InnovationSummary>(innovation, Ct))!;
        (summary.Retired, summary.EventCount, summary.LastEvent!.Type).ShouldBe((false, 4, "support_organisation_engaged"));
    }

    [Fact]
    public async Task A_barrier_whose_resolution_is_retracted_is_open_again_and_may_be_resolved()
    {
        var client = api.Client;
        var innovation = (await client.StartAsync(new InnovationRegistered { Name = "Resolved in error", InnovationType = "digital", OccurredAt = SampleJourney.Year("2010"), Provenance = Stated })).InnovationId;
        var barrier = (await client.RecordAsync(innovation, new AdoptionEvents.Journeys.Barriers.BarrierEncountered
        {
            Code = "R2", Scope = AdoptionEvents.Journeys.Barriers.BarrierScope.Innovation, Severity = AdoptionEvents.Journeys.Barriers.Severity.High,
            OccurredAt = SampleJourney.Year("2012"), Provenance = Stated,
        })).Events.Single().Id;
        AdoptionEvents.Journeys.Barriers.BarrierResolved Resolution(string year) => new() { BarrierEventId = barrier, How = "funding found", OccurredAt = SampleJourney.Year(year), Provenance = Stated };
        var resolved = (await client.RecordAsync(innovation, Resolution("2013"))).Events.Single().Id;
        var again = await ApiClient.ProblemAsync(await client.PostFactAsync(innovation, ApiClient.Body(Resolution("2014"))), HttpStatusCode.Conflict);
        again.GetProperty("rule").GetString().ShouldBe("open-barrier");

        await client.RecordAsync(innovation, new EventRetracted { RetractedEventId = resolved, Reason = "another barrier's", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated });
        var reopens = (await client.HistoryAsync(innovation)).Events[^1].Data.GetProperty("reopens");
        (reopens.GetProperty("eventId").GetGuid(), reopens.GetProperty("type").GetString()).ShouldBe((barrier, "barrier_encountered"));
        await api.CatchUpAsync();
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<InnovationSummary>(innovation, Ct))!.OpenBarrierCount.ShouldBe(1);
        }

        await client.RecordAsync(innovation, Resolution("2015"));
        await api.CatchUpAsync();
        await using var after = api.Store.QuerySession();
        (await after.LoadAsync<InnovationSummary>(innovation, Ct))!.OpenBarrierCount.ShouldBe(0);
    }
}
