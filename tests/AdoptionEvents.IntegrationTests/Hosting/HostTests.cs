using System.Text.Json;
using Alba;
using AdoptionEvents.Hosting;
using AdoptionEvents.IntegrationTests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Hosting;

public class HostTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("Projections__SkipStuckGapAfter", "Projections:SkipStuckGapAfter", "soon")]
    [InlineData("Journeys__GroupCommitWait", "Journeys:GroupCommitWait", "-00:00:01")]
    public async Task A_setting_refused_while_the_services_are_added_stops_the_api_with_one_line_naming_it(string variable, string setting, string value)
    {
        var (exitCode, error) = await ApiProcess.RunToExitAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__AdoptionEvents"] = api.Database.ConnectionString,
            [variable] = value,
        });

        exitCode.ShouldBe(1);
        error.ShouldStartWith($"AdoptionEvents cannot start: {setting} is '{value}'");
        error.Trim().Split('\n').ShouldHaveSingleItem("one line, no stack trace");
    }

    [Fact]
    public async Task Ready_reports_postgresql_and_the_projection_daemon_healthy()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBeOk();
        });

        var report = await result.ReadAsJsonAsync<JsonElement>();
        report.GetProperty("status").GetString().ShouldBe("Healthy");
        report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString())
            .ShouldBe(["postgresql", "projection-daemon"], ignoreOrder: true);
    }

    [Fact]
    public void The_store_reads_json_with_its_own_serializer_in_the_stores_shape()
    {
        var serializer = api.Host.Services.GetRequiredService<IDocumentStore>().Options.Serializer();

        serializer.ShouldBeOfType<StoreJsonSerializer>();
        (serializer.EnumStorage, serializer.Casing).ShouldBe((Weasel.Core.EnumStorage.AsString, Weasel.Core.Casing.CamelCase));
    }

    [Fact]
    public void The_daemon_keeps_the_site_registers_documents_of_ten_thousand_sites_in_memory_by_default()
    {
        var options = (StoreOptions)api.Host.Services.GetRequiredService<IDocumentStore>().Options;

        options.Projections.All.OfType<AdoptionEvents.ReadModels.SiteRegister.SiteAdoptionProjection>().Single().Options.CacheLimitPerTenant.ShouldBe(10_000);
    }

    [Fact]
    public async Task Live_answers_without_touching_dependencies()
    {
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/health/live");
            s.StatusCodeShouldBeOk();
            s.ContentShouldBe("Healthy");
        });
    }

    [Fact]
    public async Task The_openapi_document_and_the_browsable_reference_are_served()
    {
        var document = await api.Host.Scenario(s =>
        {
            s.Get.Url("/openapi/v1.json");
            s.StatusCodeShouldBeOk();
        });
        (await document.ReadAsJsonAsync<JsonElement>()).GetProperty("openapi").GetString().ShouldStartWith("3.");

        await api.Host.Scenario(s =>
        {
            s.Get.Url("/scalar/");
            s.StatusCodeShouldBeOk();
            s.ContentTypeShouldBe("text/html");
        });
    }

    [Fact]
    public async Task An_unknown_route_answers_with_problem_details()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/nothing-here");
            s.StatusCodeShouldBe(404);
        });

        result.Context.Response.ContentType.ShouldBe("application/problem+json");
        (await result.ReadAsJsonAsync<JsonElement>()).GetProperty("status").GetInt32().ShouldBe(404);
    }
}
