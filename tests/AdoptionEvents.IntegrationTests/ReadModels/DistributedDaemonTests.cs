using System.Net.Http.Json;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.Tests;

namespace AdoptionEvents.IntegrationTests.ReadModels;

/// <summary>Projections run as Wolverine agents, the mode that spreads them across the nodes on one database.</summary>
public sealed class DistributedFixture(TestDatabase database) : ApiFixture(database)
{
    protected override IEnumerable<(string Key, string Value)> Settings => [("Projections:Daemon", "Distributed")];
}

public class DistributedDaemonTests(DistributedFixture api) : IClassFixture<DistributedFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_Wolverine_managed_distribution_the_async_projections_still_build_and_health_says_so()
    {
        var start = await api.Client.StartAsync(new InnovationRegistered
        {
            Name = "Distributed", InnovationType = "digital", OccurredAt = SampleJourney.Year("2012"), Provenance = new Provenance { Basis = Basis.Stated },
        });

        await api.CatchUpAsync();

        var view = await api.Client.Http.GetFromJsonAsync<InnovationView>($"/api/innovations/{start.InnovationId}", ApiClient.JsonOptions, Ct);
        view!.Summary.Stage.ShouldBe(Stage.Conceived);
        var (_, daemon) = await api.Client.ReadinessAsync();
        daemon.GetProperty("description").GetString().ShouldBe("projections distributed by Wolverine");
    }
}
