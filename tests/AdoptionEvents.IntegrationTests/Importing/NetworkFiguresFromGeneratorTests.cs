using System.Net.Http.Json;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.ReadModels.NetworkFigures;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Importing;

public class NetworkFiguresFromGeneratorTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_default_synthetic_network_gives_the_first_AHSN_licence_figures_through_the_endpoint()
    {
        var batch = SyntheticNetwork.Generate();
        var report = await api.Host.Services.GetRequiredService<Importer>().ImportAsync(batch, new ImportOptions("generator", BulkMode.Always), null, Ct);
        report.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", report.Problems.Take(5)));
        await api.CatchUpAsync();

        var national = await api.Client.Http.GetFromJsonAsync<NetworkFiguresView>("/api/network-figures", ApiClient.JsonOptions, Ct);

        national!.Figures.ShouldBe(new Figures(
            InnovationsSpread: 200, LocationsLive: 11_000, PatientsBenefiting: 6_000_000, JobsCreated: 500, InvestmentLeveragedGbp: 330_000_000, SavingsGbp: national.Figures.SavingsGbp));
    }
}
