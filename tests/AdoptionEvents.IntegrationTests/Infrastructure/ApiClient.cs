using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Organisations;

namespace AdoptionEvents.IntegrationTests.Infrastructure;

/// <summary>HTTP calls the way a client makes them: JSON bodies with "type", headers, status codes.</summary>
public sealed class ApiClient(HttpClient http)
{
    public static readonly JsonSerializerOptions JsonOptions = CreateOptions();

    public HttpClient Http => http;

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Json.ConfigureHttp(options);

        // Responses leave nulls out; reading them back must not demand them.
        options.RespectRequiredConstructorParameters = false;
        return options;
    }

    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Body(JourneyEvent fact) => Body(JsonSerializer.Serialize(fact, JsonOptions));

    public async Task<Guid> RegisterOrganisationAsync(string name, OrganisationKind kind = OrganisationKind.Trust, IReadOnlyList<Guid>? memberOf = null)
    {
        var response = await http.PostAsJsonAsync("/api/organisations", new RegisterOrganisation(name, kind, MemberOf: memberOf), JsonOptions, TestContext.Current.CancellationToken);
        await ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<Organisation>(JsonOptions, TestContext.Current.CancellationToken))!.Id;
    }

    public async Task<Recorded> StartAsync(JourneyEvent first)
    {
        var response = await http.PostAsync("/api/innovations", Body(first), TestContext.Current.CancellationToken);
        await ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<Recorded>(JsonOptions, TestContext.Current.CancellationToken))!;
    }

    /// <summary>Records the sample journey (every event type) step by step; returns the innovation and the event id of each step's label.</summary>
    public async Task<(Guid InnovationId, Dictionary<string, Guid> Ids)> RecordSampleJourneyAsync(Guid site, Guid otherSite)
    {
        var ids = new Dictionary<string, Guid>();
        Guid innovation = default;
        foreach (var (label, build) in AdoptionEvents.Tests.SampleJourney.Steps(site, otherSite))
        {
            var fact = build(l => ids[l]);
            var recorded = innovation == default ? await StartAsync(fact) : await RecordAsync(innovation, fact);
            innovation = recorded.InnovationId;
            ids[label] = recorded.Events.Single().Id;
        }

        return (innovation, ids);
    }

    public async Task<Recorded> RecordAsync(Guid innovationId, JourneyEvent fact, params (string Name, string Value)[] headers)
    {
        var response = await PostFactAsync(innovationId, Body(fact), headers);
        await ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<Recorded>(JsonOptions, TestContext.Current.CancellationToken))!;
    }

    public Task<HttpResponseMessage> PostFactAsync(Guid innovationId, HttpContent body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/innovations/{innovationId}/events") { Content = body };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<JourneyHistoryPage> HistoryAsync(Guid innovationId, string query = "")
    {
        var response = await http.GetAsync($"/api/innovations/{innovationId}/events{query}", TestContext.Current.CancellationToken);
        await ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JourneyHistoryPage>(JsonOptions, TestContext.Current.CancellationToken))!;
    }

    /// <summary>GET /health/ready (which must answer 200) and, from it, the projection daemon's check.</summary>
    public async Task<(JsonElement Ready, JsonElement Daemon)> ReadinessAsync()
    {
        var response = await http.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        await ExpectAsync(response, HttpStatusCode.OK);
        var ready = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return (ready, ready.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "projection-daemon"));
    }

    /// <summary>Asserts the status and returns the ProblemDetails body as JSON.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        await ExpectAsync(response, status);
        response.Content.Headers.ContentType.ShouldBe(new MediaTypeHeaderValue("application/problem+json"));
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode != status)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            throw new ShouldAssertException($"expected {(int)status} but got {(int)response.StatusCode}: {body}");
        }
    }
}
