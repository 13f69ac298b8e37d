using System.Net;
using System.Net.Http.Json;
using System.Text;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Integration.Webhooks;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.IntegrationTests.Integration;
using AdoptionEvents.Journeys;
using AdoptionEvents.Organisations;
using AdoptionEvents.Tests;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace AdoptionEvents.IntegrationTests.Security;

public class SecurityTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static JourneyEvent Fact(string label, Guid site, Guid otherSite) =>
        SampleJourney.Steps(site, otherSite).Single(s => s.Label == label).Fact(_ => Guid.Empty);

    [Fact]
    public void Every_api_endpoint_has_an_authorization_policy()
    {
        var endpoints = api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith("/api/", StringComparison.Ordinal))
            .ToList();

        endpoints.Count.ShouldBeGreaterThanOrEqualTo(46);
        endpoints.Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().All(a => string.IsNullOrEmpty(a.Policy)))
            .Select(e => e.DisplayName).ShouldBeEmpty();
        endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.DisplayName).ShouldBeEmpty();
    }

    public static TheoryData<string, string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, string, bool>();
        void Add(string method, string path, params string[] allowed)
        {
            foreach (var role in Roles.All)
            {
                data.Add(role, method, path, allowed.Contains(role));
            }
        }

        Add("GET", "/api/innovations", Roles.All.ToArray());
        Add("GET", "/api/barriers", Roles.All.ToArray());
        Add("GET", "/api/organisations", Roles.All.ToArray());
        Add("POST", "/api/innovations", Roles.ProgrammeLead, Roles.Admin);
        Add("POST", "/api/organisations", Roles.ProgrammeLead, Roles.Admin);
        Add("GET", "/api/events", Roles.Integrator, Roles.Admin);
        Add("GET", "/api/subscriptions", Roles.Integrator, Roles.Admin);
        Add("GET", "/api/admin/projections", Roles.Admin);
        Add("GET", "/api/imports", Roles.Admin);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_role_reaches_only_its_families_of_endpoints(string role, string method, string path, bool allowed)
    {
        var client = api.ClientAs(role);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (path == "/api/innovations" && method == "POST")
        {
            request.Content = ApiClient.Body(Fact("need", Guid.NewGuid(), Guid.NewGuid()));
        }
        else if (path == "/api/organisations" && method == "POST")
        {
            request.Content = JsonContent.Create(new RegisterOrganisation($"Trust {Guid.NewGuid():N}", OrganisationKind.Trust), options: ApiClient.JsonOptions);
        }

        var response = await client.Http.SendAsync(request, TestContext.Current.CancellationToken);

        if (allowed)
        {
            ((int)response.StatusCode).ShouldBeLessThan(300, $"{role} {method} {path}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }
        else
        {
            (await ApiClient.ProblemAsync(response, HttpStatusCode.Forbidden)).GetProperty("detail").GetString().ShouldNotBeNullOrEmpty();
        }
    }

    [Fact]
    public async Task A_programme_lead_records_for_the_innovations_its_network_supports_and_is_refused_for_another_networks_with_nothing_appended()
    {
        var admin = api.Client;
        var (north, south) = (await admin.RegisterOrganisationAsync("North HIN", OrganisationKind.Hin), await admin.RegisterOrganisationAsync("South HIN", OrganisationKind.Hin));
        var trust = await admin.RegisterOrganisationAsync("North Trust", OrganisationKind.Trust, [north]);
        var stated = new Provenance { Basis = Basis.Stated };
        var evidence = new AdoptionEvents.Journeys.Evidence.EvidenceRecorded { EvidenceType = "observational", Title = "Audit", Finding = "fewer admissions", OccurredAt = SampleJourney.Year("2012"), Provenance = stated };
        var (northLead, southLead, noNetwork) = (api.ClientAs(Roles.ProgrammeLead, north), api.ClientAs(Roles.ProgrammeLead, south), api.ClientAs(Roles.ProgrammeLead));

        // Supported by its origin, a trust of the North network.
        var northern = (await admin.StartAsync(new AdoptionEvents.Journeys.Origin.InnovationRegistered
        {
            Name = "Northern innovation", InnovationType = "digital", OriginOrganisationId = trust, OccurredAt = SampleJourney.Year("2010"), Provenance = stated,
        })).InnovationId;
        await northLead.RecordAsync(northern, evidence);
        var refused = await ApiClient.ProblemAsync(await southLead.PostFactAsync(northern, ApiClient.Body(evidence)), HttpStatusCode.Forbidden);
        (refused.GetProperty("field").GetString(), refused.GetProperty("rule").GetString()).ShouldBe(("innovationId", "supporting-network"));
        await ApiClient.ProblemAsync(await noNetwork.PostFactAsync(northern, ApiClient.Body(evidence)), HttpStatusCode.Forbidden);
        (await admin.HistoryAsync(northern)).Events.Count.ShouldBe(2);

        // Nobody supports a journey started from a need: every lead may record, until a network is engaged to support it.
        var open = (await southLead.StartAsync(Fact("need", trust, north))).InnovationId;
        await northLead.RecordAsync(open, evidence);
        var engaged = (await southLead.RecordAsync(open, new AdoptionEvents.Journeys.Resources.SupportOrganisationEngaged
        {
            Organisation = "South HIN", OrganisationId = south, OccurredAt = SampleJourney.Year("2013"), Provenance = stated,
        })).Events.Single().Id;
        await ApiClient.ProblemAsync(await northLead.PostFactAsync(open, ApiClient.Body(evidence)), HttpStatusCode.Forbidden);
        await southLead.RecordAsync(open, evidence);
        await admin.RecordAsync(open, evidence);

        // North engaged, and South's engagement retracted: South no longer supports the journey.
        await admin.RecordAsync(open, new AdoptionEvents.Journeys.Resources.SupportOrganisationEngaged
        {
            Organisation = "North HIN", OrganisationId = north, OccurredAt = SampleJourney.Year("2014"), Provenance = stated,
        });
        await southLead.RecordAsync(open, new AdoptionEvents.Journeys.Corrections.EventRetracted
        {
            RetractedEventId = engaged, Reason = "South was never engaged", OccurredAt = SampleJourney.Year("2014"), Provenance = stated,
        });
        (await ApiClient.ProblemAsync(await southLead.PostFactAsync(open, ApiClient.Body(evidence)), HttpStatusCode.Forbidden)).GetProperty("rule").GetString().ShouldBe("supporting-network");
        await northLead.RecordAsync(open, evidence);
    }

    [Fact]
    public async Task A_database_from_before_journeys_named_their_supporters_gets_them_once_at_start()
    {
        var admin = api.Client;
        var (network, other) = (await admin.RegisterOrganisationAsync("Upgrade HIN", OrganisationKind.Hin), await admin.RegisterOrganisationAsync("Other upgrade HIN", OrganisationKind.Hin));
        var stated = new Provenance { Basis = Basis.Stated };
        var journey = (await admin.StartAsync(new AdoptionEvents.Journeys.Origin.InnovationRegistered
        {
            Name = "Upgraded innovation", InnovationType = "digital", OriginOrganisationId = network, OccurredAt = SampleJourney.Year("2010"), Provenance = stated,
        })).InnovationId;
        var evidence = new AdoptionEvents.Journeys.Evidence.EvidenceRecorded { EvidenceType = "rct", Title = "Trial", Finding = "works", OccurredAt = SampleJourney.Year("2012"), Provenance = stated };
        var upgrade = ActivatorUtilities.CreateInstance<JourneyUpgrade>(api.Host.Services);
        (await upgrade.NeededAsync(TestContext.Current.CancellationToken)).ShouldBeFalse("every journey names its supporters");

        // As a database written before: the journeys name no supporters (the upgrade runs at start, before any command).
        await api.ExecuteAsync("update {schema}.mt_doc_journey set data = data - 'supporters' - 'engagements'");
        (await upgrade.NeededAsync(TestContext.Current.CancellationToken)).ShouldBeTrue();
        await upgrade.StartAsync(TestContext.Current.CancellationToken);

        (await upgrade.NeededAsync(TestContext.Current.CancellationToken)).ShouldBeFalse();
        await ApiClient.ProblemAsync(await api.ClientAs(Roles.ProgrammeLead, other).PostFactAsync(journey, ApiClient.Body(evidence)), HttpStatusCode.Forbidden);
        await api.ClientAs(Roles.ProgrammeLead, network).RecordAsync(journey, evidence);
    }

    [Fact]
    public async Task A_site_recorder_records_for_its_own_site_and_is_refused_for_another_with_nothing_appended()
    {
        var admin = api.Client;
        var own = await admin.RegisterOrganisationAsync("Own Trust");
        var other = await admin.RegisterOrganisationAsync("Other Trust");
        var started = await admin.StartAsync(Fact("need", own, other));
        var recorder = api.ClientAs(Roles.SiteRecorder, own);

        var forOther = await recorder.PostFactAsync(started.InnovationId, ApiClient.Body(Fact("aware", other, own)));
        (await ApiClient.ProblemAsync(forOther, HttpStatusCode.Forbidden)).GetProperty("field").GetString().ShouldBe("siteId");
        var sharedWithOther = await recorder.PostFactAsync(started.InnovationId, ApiClient.Body(Fact("shared", own, other)));
        (await ApiClient.ProblemAsync(sharedWithOther, HttpStatusCode.Forbidden)).GetProperty("field").GetString().ShouldBe("toSiteId");
        var innovationLevel = await recorder.PostFactAsync(started.InnovationId, ApiClient.Body(Fact("evaluation", own, other)));
        await ApiClient.ProblemAsync(innovationLevel, HttpStatusCode.Forbidden);
        (await admin.HistoryAsync(started.InnovationId)).Events.Count.ShouldBe(1);

        var recorded = await recorder.RecordAsync(started.InnovationId, Fact("aware", own, other));
        recorded.Version.ShouldBe(2);
    }

    [Fact]
    public async Task A_site_recorder_retracts_its_own_sites_events_and_is_refused_the_rest_with_nothing_appended()
    {
        var admin = api.Client;
        var own = await admin.RegisterOrganisationAsync("Retracting Trust");
        var other = await admin.RegisterOrganisationAsync("Neighbouring Trust");
        var started = await admin.StartAsync(Fact("need", own, other));
        var innovation = started.InnovationId;
        var theirs = (await admin.RecordAsync(innovation, Fact("aware", other, own))).Events.Single().Id;
        var evaluation = (await admin.RecordAsync(innovation, Fact("evaluation", own, other))).Events.Single().Id;
        var recorder = api.ClientAs(Roles.SiteRecorder, own);
        var aware = (await recorder.RecordAsync(innovation, Fact("aware", own, other))).Events.Single().Id;
        AdoptionEvents.Journeys.Corrections.EventRetracted Retraction(Guid id) => new()
        {
            RetractedEventId = id, Reason = "recorded in error", OccurredAt = SampleJourney.Year("2013"), Provenance = new Provenance { Basis = Basis.Stated },
        };

        var notTheirs = await ApiClient.ProblemAsync(await recorder.PostFactAsync(innovation, ApiClient.Body(Retraction(theirs))), HttpStatusCode.Forbidden);
        (notTheirs.GetProperty("field").GetString(), notTheirs.GetProperty("rule").GetString()).ShouldBe(("retractedEventId", "own-organisation"));
        var innovationLevel = await ApiClient.ProblemAsync(await recorder.PostFactAsync(innovation, ApiClient.Body(Retraction(evaluation))), HttpStatusCode.Forbidden);
        innovationLevel.GetProperty("rule").GetString().ShouldBe("site-events-only");
        (await admin.HistoryAsync(innovation)).Events.Count.ShouldBe(4);

        await recorder.RecordAsync(innovation, Retraction(aware));
        var history = await admin.HistoryAsync(innovation);
        (history.Events[^1].Type, history.Events[^1].Data.GetProperty("siteChange").GetProperty("siteId").GetGuid()).ShouldBe(("event_retracted", own));
    }

    [Fact]
    public async Task Every_event_names_the_user_and_the_organisation_of_the_token()
    {
        var admin = api.Client;
        var site = await admin.RegisterOrganisationAsync("Audited Trust");
        var started = await admin.StartAsync(Fact("need", site, Guid.NewGuid()));
        await api.ClientAs(Roles.SiteRecorder, site).RecordAsync(started.InnovationId, Fact("aware", site, Guid.NewGuid()));

        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(started.InnovationId, token: TestContext.Current.CancellationToken);
        events[0].UserName.ShouldBe(ApiFixture.AdminName);
        events[1].UserName.ShouldBe($"test-{Roles.SiteRecorder}");
        events[1].Headers![RequestAudit.OrganisationHeader].ToString().ShouldBe(site.ToString());
    }

    [Fact]
    public async Task A_change_to_an_organisation_names_who_made_it()
    {
        var lead = api.ClientAs(Roles.ProgrammeLead);
        var id = await lead.RegisterOrganisationAsync("Renamed Trust");
        var rename = await lead.Http.PostAsJsonAsync($"/api/organisations/{id}/renames",
            new RenameOrganisation("Renamed Trust NHS FT", DateOnly.FromDateTime(DateTime.UtcNow)), ApiClient.JsonOptions, TestContext.Current.CancellationToken);
        ((int)rename.StatusCode).ShouldBeLessThan(300, await rename.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(id, token: TestContext.Current.CancellationToken);
        events.Count.ShouldBe(2);
        events.ShouldAllBe(e => e.UserName == $"test-{Roles.ProgrammeLead}");
    }

    [Fact]
    public async Task Missing_expired_and_wrongly_signed_tokens_get_401()
    {
        var wrongKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-key-that-is-long-enough-0123456789"));
        var callers = new[]
        {
            (api.Anonymous, "required"),
            (api.WithToken(api.Token("late", [Roles.Admin], [], TimeSpan.FromMinutes(-10))), "expired"),
            (api.WithToken(api.Token("forger", [Roles.Admin], [], TimeSpan.FromHours(1), wrongKey)), "signature"),
            (api.WithToken("not-a-token"), "not valid"),
        };

        foreach (var (caller, why) in callers)
        {
            var response = await caller.Http.GetAsync("/api/innovations", TestContext.Current.CancellationToken);
            (await ApiClient.ProblemAsync(response, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain(why);
            response.Headers.WwwAuthenticate.ShouldNotBeEmpty();
        }
    }

    [Fact]
    public async Task The_api_in_production_with_a_development_key_stops_with_one_line_naming_the_setting()
    {
        var (exitCode, error) = await ApiProcess.RunToExitAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__AdoptionEvents"] = api.Database.ConnectionString,
            ["Authentication__DevelopmentSigningKey"] = ApiFixture.SigningKey,
        });

        exitCode.ShouldBe(1);
        error.ShouldStartWith($"AdoptionEvents cannot start: {DevelopmentTokens.Setting} is set but the environment is Production");
    }

    [Fact]
    public async Task Health_and_the_api_reference_answer_anonymous_callers_the_reference_declares_the_bearer_token_and_answers_carry_security_headers()
    {
        var live = await api.Anonymous.Http.GetAsync("/health/live", TestContext.Current.CancellationToken);
        live.StatusCode.ShouldBe(HttpStatusCode.OK);
        var document = await api.Anonymous.Http.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        document.StatusCode.ShouldBe(HttpStatusCode.OK);
        var openApi = await document.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);
        openApi.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString().ShouldBe("bearer");

        var response = await api.Client.Http.GetAsync("/api/innovations", TestContext.Current.CancellationToken);
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        response.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
        response.Headers.GetValues("Referrer-Policy").ShouldBe(["no-referrer"]);
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldStartWith("default-src 'none'");
    }
}

/// <summary>A host with production-like limits: private webhook targets refused, a small rate limit.</summary>
public sealed class StrictApiFixture(TestDatabase database) : ApiFixture(database)
{
    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        (WebhookTargets.AllowPrivateSetting, "false"),
        ("RateLimiting:PermitLimit", "5"),
        ("RateLimiting:WindowSeconds", "3600"),
        ("Authentication:AllowAnonymousReads", "true"),
        ("Cors:AllowedOrigins:0", "https://dashboard.example.org"),
        ("Integration:Webhooks:Dispatch", "false"),
    ];
}

public class StrictSecurityTests(StrictApiFixture api) : IClassFixture<StrictApiFixture>
{
    [Theory]
    [InlineData("http://127.0.0.1:9000/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.0.10/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/hook")]
    public async Task A_webhook_aimed_at_a_private_address_is_refused(string url)
    {
        // A user of its own per case: the rate limit of this host is small.
        var client = api.WithToken(api.Token($"integrator-{Guid.NewGuid():N}", [Roles.Integrator], [], TimeSpan.FromHours(1)));
        var response = await client.Http.PostAsJsonAsync("/api/subscriptions", new { url }, TestContext.Current.CancellationToken);
        (await ApiClient.ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("rule").GetString().ShouldBe("public-target");
    }

    [Fact]
    public async Task A_delivery_to_a_private_address_is_refused_when_it_connects()
    {
        // As if the subscription was stored before its host came to resolve inside (or was allowed then).
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = Guid.NewGuid();
        await using (var session = api.Store.LightweightSession())
        {
            session.Store(new WebhookSubscription
            {
                Id = id, Url = receiver.Url, Secret = "a-secret-of-sixteen-or-more", Status = SubscriptionStatus.Active, CreatedAt = DateTimeOffset.UtcNow,
            });
            session.Store(new WebhookCursor { Id = id });
            await session.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        await api.ClientAs(Roles.Admin).StartAsync(SampleJourney.Steps(Guid.NewGuid(), Guid.NewGuid())[0].Fact(_ => Guid.Empty));
        await api.CatchUpAsync();
        var dispatcher = api.Host.Services.GetRequiredService<WebhookDispatcher>();
        await dispatcher.DispatchAsync(TestContext.Current.CancellationToken);

        await using var query = api.Store.QuerySession();
        var delivery = (await query.Query<WebhookDelivery>().Where(d => d.SubscriptionId == id).ToListAsync(TestContext.Current.CancellationToken)).ShouldHaveSingleItem();
        delivery.Status.ShouldNotBe(DeliveryStatus.Delivered);
        delivery.Log.ShouldHaveSingleItem().Error.ShouldNotBeNull().ShouldContain(WebhookTargets.AllowPrivateSetting);
        receiver.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_client_over_its_rate_limit_gets_429_while_others_go_on()
    {
        var busy = api.WithToken(api.Token("busy-client", [Roles.Reader], [], TimeSpan.FromHours(1)));
        for (var i = 0; i < 5; i++)
        {
            (await busy.Http.GetAsync("/api/vocabularies", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var refused = await busy.Http.GetAsync("/api/vocabularies", TestContext.Current.CancellationToken);
        await ApiClient.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        var other = api.WithToken(api.Token("quiet-client", [Roles.Reader], [], TimeSpan.FromHours(1)));
        (await other.Http.GetAsync("/api/vocabularies", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Anonymous_reads_are_let_through_when_allowed_but_writes_are_not()
    {
        var anonymous = new ApiClient(api.Host.Server.CreateClient());
        var read = await anonymous.Http.GetAsync("/api/innovations", TestContext.Current.CancellationToken);
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        var write = await anonymous.Http.PostAsync("/api/innovations", ApiClient.Body("{}"), TestContext.Current.CancellationToken);
        await ApiClient.ProblemAsync(write, HttpStatusCode.Unauthorized);
        var events = await anonymous.Http.GetAsync("/api/events", TestContext.Current.CancellationToken);
        await ApiClient.ProblemAsync(events, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Cors_answers_configured_origins_only()
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/innovations");
        preflight.Headers.Add("Origin", "https://dashboard.example.org");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        var allowed = await api.Host.Server.CreateClient().SendAsync(preflight, TestContext.Current.CancellationToken);
        allowed.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe(["https://dashboard.example.org"]);

        var foreign = new HttpRequestMessage(HttpMethod.Options, "/api/innovations");
        foreign.Headers.Add("Origin", "https://elsewhere.example.com");
        foreign.Headers.Add("Access-Control-Request-Method", "GET");
        var refused = await api.Host.Server.CreateClient().SendAsync(foreign, TestContext.Current.CancellationToken);
        refused.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }
}
