using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Importing;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Evaluation;

public class ExportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Guid> RecordSampleAsync()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync($"Export Trust {Guid.NewGuid():N}");
        var other = await client.RegisterOrganisationAsync($"Export Practice {Guid.NewGuid():N}");
        return (await client.RecordSampleJourneyAsync(site, other)).InnovationId;
    }

    private static async Task<string> ProjectionsAsync(IDocumentStore store, Guid innovation)
    {
        await using var session = store.QuerySession();
        var summary = await session.LoadAsync<InnovationSummary>(innovation, Ct);
        summary!.LastEvent = summary.LastEvent! with { RecordedAt = default };
        var sites = await session.Query<SiteAdoption>().Where(s => s.InnovationId == innovation).OrderBy(s => s.Id).ToListAsync(Ct);
        var metrics = await session.Query<ObservedMetric>().Where(m => m.InnovationId == innovation).OrderBy(m => m.Id).ToListAsync(Ct);
        return JsonSerializer.Serialize(new { summary, sites, metrics }, ApiClient.JsonOptions);
    }

    [Fact]
    public async Task An_export_imported_into_an_empty_store_gives_identical_projections()
    {
        var innovation = await RecordSampleAsync();
        await api.CatchUpAsync();
        var exported = await api.Client.Http.GetStringAsync($"/api/exports?innovationIds={innovation}", Ct);

        var empty = new ApiFixture(api.Database);
        await empty.InitializeAsync();
        try
        {
            using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(exported));
            var report = await empty.Host.Services.GetRequiredService<Importer>().ImportAsync(ExportFormat.ReadAny(content), new ImportOptions("re-importer"), null, Ct);
            report.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", report.Problems));
            await empty.CatchUpAsync();

            // Identical but for when each event was recorded in the new store (kept as sourceRecordedAt).
            (await ProjectionsAsync(empty.Store, innovation)).ShouldBe(await ProjectionsAsync(api.Store, innovation));
            var compared = await empty.Client.Http.GetFromJsonAsync<EvaluationView>($"/api/innovations/{innovation}/measures", ApiClient.JsonOptions, Ct);
            var original = await api.Client.Http.GetFromJsonAsync<EvaluationView>($"/api/innovations/{innovation}/measures", ApiClient.JsonOptions, Ct);
            JsonSerializer.Serialize(compared!.Measures, ApiClient.JsonOptions).ShouldBe(JsonSerializer.Serialize(original!.Measures, ApiClient.JsonOptions));
        }
        finally
        {
            await empty.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_journey_exports_as_csv_and_as_an_evaluation_pack()
    {
        var innovation = await RecordSampleAsync();

        var csv = await api.Client.Http.GetStringAsync($"/api/exports?innovationIds={innovation}&format=csv", Ct);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("innovation_id,version,sequence,event_id,type,family,occurred_at");
        lines.Length.ShouldBe(1 + SampleJourney.Steps(default, default).Count);
        lines[1].ShouldContain(",need_identified,origin,2000,decade,");

        var pack = await api.Client.Http.GetFromJsonAsync<EvaluationPack>($"/api/innovations/{innovation}/evaluation-pack", ApiClient.JsonOptions, Ct);
        pack!.History.Count.ShouldBe(SampleJourney.Steps(default, default).Count);
        pack.Verification.Intact.ShouldBeTrue();
        pack.Sources.Select(s => s.Id).ShouldBe(["AHSN-ESC", "KF-ESC"]);
        pack.Measures.Measures.Name.ShouldBe("ESCAPE-pain");
    }

    [Fact]
    public async Task Export_refusals_name_the_field()
    {
        (await ApiClient.ProblemAsync(await api.Client.Http.GetAsync("/api/exports?format=xml", Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("format");
        (await ApiClient.ProblemAsync(await api.Client.Http.GetAsync("/api/exports?innovationIds=abc", Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("innovationIds");
        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/exports?innovationIds={Guid.NewGuid()}", Ct), HttpStatusCode.NotFound);
        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/innovations/{Guid.NewGuid()}/evaluation-pack", Ct), HttpStatusCode.NotFound);
    }
}
