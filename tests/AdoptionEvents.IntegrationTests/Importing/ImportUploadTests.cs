using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Importing;
using AdoptionEvents.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Importing;

/// <summary>An API whose uploads are spooled to a folder of the test's own, with a limit small enough to pass.</summary>
public sealed class SpoolingApiFixture(TestDatabase database) : ApiFixture(database)
{
    public const long MaxBytes = 100_000;

    public string SpoolDirectory { get; } = Path.Combine(Path.GetTempPath(), $"adoption-events-spool-{Guid.NewGuid():N}");

    protected override IEnumerable<(string Key, string Value)> Settings =>
        [("Import:MaxBytes", MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Import:SpoolDirectory", SpoolDirectory)];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(SpoolDirectory))
        {
            Directory.Delete(SpoolDirectory, recursive: true);
        }
    }
}

public class ImportUploadTests(SpoolingApiFixture api) : IClassFixture<SpoolingApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ImportJobs Jobs => api.Host.Services.GetRequiredService<ImportJobs>();

    private string[] Spooled() => Directory.Exists(api.SpoolDirectory) ? Directory.GetFiles(api.SpoolDirectory) : [];

    [Fact]
    public async Task An_upload_is_spooled_to_a_file_that_is_gone_once_its_job_has_run()
    {
        var file = DemoData.Bytes();
        file.Length.ShouldBeLessThan((int)SpoolingApiFixture.MaxBytes);

        var response = await api.Client.Http.PostAsync("/api/imports", new ByteArrayContent(file), Ct);

        await ApiClient.ExpectAsync(response, HttpStatusCode.Accepted);
        var id = Guid.Parse(response.Headers.Location!.ToString()["/api/imports/".Length..]);
        await Jobs.WaitAsync(id);
        var status = await api.Client.Http.GetFromJsonAsync<JsonElement>($"/api/imports/{id}", Ct);
        status.GetProperty("status").GetString().ShouldBe("succeeded", status.ToString());
        status.GetProperty("source").GetString().ShouldBe($"POST /api/imports ({file.Length} bytes)");
        status.GetProperty("report").GetProperty("journeys").GetArrayLength().ShouldBe(8);
        Directory.Exists(api.SpoolDirectory).ShouldBeTrue("the upload went through the configured spool folder");
        Spooled().ShouldBeEmpty();
    }

    [Fact]
    public async Task An_upload_over_Import_MaxBytes_gets_413_and_leaves_neither_a_file_nor_a_job()
    {
        var jobsBefore = Jobs.All().Count;
        var oversized = Encoding.UTF8.GetBytes(new string(' ', (int)SpoolingApiFixture.MaxBytes + 50_000));

        var response = await api.Client.Http.PostAsync("/api/imports", new ByteArrayContent(oversized), Ct);

        var problem = await ApiClient.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        (problem.GetProperty("field").GetString(), problem.GetProperty("rule").GetString()).ShouldBe(("body", "max-size"));
        problem.GetProperty("detail").GetString()!.ShouldContain("Import:MaxBytes");
        Spooled().ShouldBeEmpty();
        Jobs.All().Count.ShouldBe(jobsBefore);
    }

    [Fact]
    public async Task An_empty_upload_gets_400_naming_the_body_and_leaves_no_file()
    {
        var response = await api.Client.Http.PostAsync("/api/imports", new ByteArrayContent([]), Ct);

        var problem = await ApiClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().ShouldBe("body");
        problem.GetProperty("rule").GetString().ShouldBe("required");
        Spooled().ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unknown_bulk_mode_gets_400_naming_the_parameter_before_the_body_is_read()
    {
        var response = await api.Client.Http.PostAsync("/api/imports?bulk=sometimes", new ByteArrayContent(DemoData.Bytes()), Ct);

        var problem = await ApiClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().ShouldBe("bulk");
        problem.GetProperty("rule").GetString().ShouldBe("vocabulary");
        Spooled().ShouldBeEmpty();
    }
}
