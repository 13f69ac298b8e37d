using System.Net;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Journeys;

/// <summary>An innovation retired in error is brought back into use by retracting its retirement, on a database from before too.</summary>
public class RetirementRetractionTests(ApiFixture api) : IClassFixture<ApiFixture>
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
        var upgrade = ActivatorUtilities.CreateInstance<JourneyUpgrade>(api.Host.Services);
        (await upgrade.NeededAsync(Ct)).ShouldBeFalse();
        await api.ExecuteAsync("update {schema}.mt_doc_journey set data = data - 'retiredBy'");
        (await upgrade.NeededAsync(Ct)).ShouldBeTrue();
        await upgrade.StartAsync(Ct);
        (await upgrade.NeededAsync(Ct)).ShouldBeFalse();

        await client.RecordAsync(innovation, new EventRetracted { RetractedEventId = retirement, Reason = "retired in error", OccurredAt = SampleJourney.Year("2021"), Provenance = Stated });
        await client.RecordAsync(innovation, Support("2021"));

        await api.CatchUpAsync();
        await using var session = api.Store.QuerySession();
        var summary = (await session.LoadAsync<InnovationSummary>(innovation, Ct))!;
        (summary.Retired, summary.EventCount, summary.LastEvent!.Type).ShouldBe((false, 4, "support_organisation_engaged"));
    }
}
