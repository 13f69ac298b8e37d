using System.Net;
using System.Text.Json;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Tests;
using AdoptionEvents.Organisations;
using Marten;

namespace AdoptionEvents.IntegrationTests.Journeys;

public class RecordingJourneysTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated, Sources = [new SourceReference { Id = "KF-FLO" }] };

    private static InnovationRegistered Innovation(string name) =>
        new() { Name = name, InnovationType = "digital", OccurredAt = SampleJourney.Year("2009"), Provenance = Stated };

    private static AdoptionDecided Adopt(Guid site) => new() { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated };

    private static ServiceWentLive GoLive(Guid site) => new() { SiteId = site, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated };

    [Fact]
    public async Task A_full_journey_using_every_event_type_is_recorded_and_read_back_with_its_metadata()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Stoke-on-Trent PCT", OrganisationKind.Pct);
        var otherSite = await client.RegisterOrganisationAsync("Powys Teaching Health Board");
        var ids = new Dictionary<string, Guid>();
        Guid innovationId = default;
        long version = 0;

        foreach (var (label, build) in SampleJourney.Steps(site, otherSite))
        {
            var fact = build(l => ids[l]);
            var recorded = innovationId == default
                ? await client.StartAsync(fact)
                : await client.RecordAsync(innovationId, fact, ("X-Correlation-Id", "import-42"), ("X-Causation-Id", $"step-{label}"));
            innovationId = recorded.InnovationId;
            recorded.Version.ShouldBe(version + 1);
            version = recorded.Version;
            ids[label] = recorded.Events.Single().Id;
        }

        var history = await client.HistoryAsync(innovationId, "?limit=1000");
        history.Version.ShouldBe(version);
        history.Events.Count.ShouldBe(ids.Count);
        history.Events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, ids.Count).Select(v => (long)v));
        history.Events.Select(e => e.Type).Distinct().ShouldBe(EventCatalogue.Entries.Select(e => e.Name), ignoreOrder: true);
        history.Events.Select(e => e.Family).Distinct().Count().ShouldBe(9);
        history.Events.ShouldAllBe(e => e.RecordedBy == ApiFixture.AdminName);

        var live = history.Events.Single(e => e.Id == ids["live"]);
        (live.CorrelationId, live.CausationId).ShouldBe(("import-42", "step-live"));
        live.Data.GetProperty("siteId").GetGuid().ShouldBe(site);
        live.Data.GetProperty("causedBy")[0].GetGuid().ShouldBe(ids["decided"]);
        live.OccurredAt.ShouldBe(SampleJourney.Year("2014"));
        history.Events[0].Data.GetProperty("provenance").GetProperty("sources")[0].GetProperty("locator").GetString().ShouldBe("case study");
        history.Events[0].CorrelationId.ShouldNotBeNullOrWhiteSpace();

        // The stored event names are the catalogue's, not CLR type names.
        await using var session = api.Store.QuerySession();
        var stored = await session.Events.FetchStreamAsync(innovationId, token: Ct);
        stored.Select(e => e.EventTypeName).ShouldBe(history.Events.Select(e => e.Type));
    }

    [Fact]
    public async Task History_pages_through_a_journey()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Pager Trust");
        var start = await client.StartAsync(Innovation("Paged"));
        await client.RecordAsync(start.InnovationId, Adopt(site));
        await client.RecordAsync(start.InnovationId, GoLive(site));

        var first = await client.HistoryAsync(start.InnovationId, "?limit=2");
        var second = await client.HistoryAsync(start.InnovationId, $"?limit=2&fromVersion={first.NextFromVersion}");

        first.Events.Select(e => e.Type).ShouldBe(["innovation_registered", "adoption_decided"]);
        first.NextFromVersion.ShouldBe(3);
        second.Events.Select(e => e.Type).ShouldBe(["service_went_live"]);
        second.NextFromVersion.ShouldBeNull();
    }

    [Fact]
    public async Task Thirty_two_parallel_site_commands_on_one_innovation_all_succeed_with_contiguous_versions()
    {
        var client = api.Client;
        var start = await client.StartAsync(Innovation("Parallel"));
        var sites = new List<Guid>();
        for (var i = 0; i < 32; i++)
        {
            sites.Add(await client.RegisterOrganisationAsync($"Parallel practice {i}", OrganisationKind.GpPractice));
        }

        var responses = await Task.WhenAll(sites.Select(site => client.PostFactAsync(start.InnovationId, ApiClient.Body(Adopt(site)))));

        responses.Select(r => r.StatusCode).ShouldAllBe(s => s == HttpStatusCode.OK);
        var history = await client.HistoryAsync(start.InnovationId, "?limit=100");
        history.Events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, 33).Select(v => (long)v));
        history.Events.Skip(1).Select(e => e.Data.GetProperty("siteId").GetGuid()).ShouldBe(sites, ignoreOrder: true);
    }

    [Fact]
    public async Task A_stale_If_Match_gets_412_with_the_current_version_and_appends_nothing()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Stale Trust");
        var start = await client.StartAsync(Innovation("Stale"));
        await client.RecordAsync(start.InnovationId, Adopt(site), ("If-Match", "\"1\""));

        var stale = await client.PostFactAsync(start.InnovationId, ApiClient.Body(GoLive(site)), ("If-Match", "\"1\""));

        var problem = await ApiClient.ProblemAsync(stale, HttpStatusCode.PreconditionFailed);
        problem.GetProperty("field").GetString().ShouldBe("If-Match");
        problem.GetProperty("detail").GetString()!.ShouldContain("version 2");
        stale.Headers.ETag!.Tag.ShouldBe("\"2\"");
        (await client.HistoryAsync(start.InnovationId)).Version.ShouldBe(2);

        await client.RecordAsync(start.InnovationId, GoLive(site), ("If-Match", "\"2\""));
        var malformed = await client.PostFactAsync(start.InnovationId, ApiClient.Body(GoLive(site)), ("If-Match", "latest"));
        (await ApiClient.ProblemAsync(malformed, HttpStatusCode.BadRequest)).GetProperty("rule").GetString().ShouldBe("version");
    }

    [Fact]
    public async Task An_idempotent_retry_returns_the_first_answer_and_appends_nothing()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Retry Trust");
        var start = await client.StartAsync(Innovation("Retried"));
        var key = ("Idempotency-Key", Guid.NewGuid().ToString());

        var first = await client.RecordAsync(start.InnovationId, Adopt(site), key);
        var retry = await client.PostFactAsync(start.InnovationId, ApiClient.Body(Adopt(site)), key);

        await ApiClient.ExpectAsync(retry, HttpStatusCode.OK);
        retry.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        var replayed = JsonSerializer.Deserialize<AdoptionEvents.Journeys.Recording.Recorded>(await retry.Content.ReadAsStringAsync(Ct), ApiClient.JsonOptions)!;
        replayed.Events.Single().Id.ShouldBe(first.Events.Single().Id);
        (await client.HistoryAsync(start.InnovationId)).Version.ShouldBe(2);

        var reused = await client.PostFactAsync(start.InnovationId, ApiClient.Body(GoLive(site)), key);
        (await ApiClient.ProblemAsync(reused, HttpStatusCode.UnprocessableEntity)).GetProperty("rule").GetString().ShouldBe("idempotency-key-reuse");
        (await client.HistoryAsync(start.InnovationId)).Version.ShouldBe(2);
    }

    [Fact]
    public async Task Starting_a_journey_is_idempotent_too()
    {
        var client = api.Client;
        var request = () => new HttpRequestMessage(HttpMethod.Post, "/api/innovations") { Content = ApiClient.Body(Innovation("Once")), Headers = { { "Idempotency-Key", "start-once" } } };

        var first = await client.Http.SendAsync(request(), Ct);
        var again = await client.Http.SendAsync(request(), Ct);

        await ApiClient.ExpectAsync(first, HttpStatusCode.Created);
        await ApiClient.ExpectAsync(again, HttpStatusCode.Created);
        again.Headers.Location.ShouldBe(first.Headers.Location);
        await using var session = api.Store.QuerySession();
        (await session.Query<Journey>().CountAsync(j => j.Name == "Once", Ct)).ShouldBe(1);
    }

    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        { "{\"type\":\"service_went_live\",", "body", "json" },
        { "{\"siteId\":\"00000000-0000-0000-0000-000000000000\"}", "type", "required" },
        { "{\"type\":\"site_exploded\"}", "body", "json" },
        { "{\"type\":\"barrier_resolved\",\"how\":\"x\",\"occurredAt\":{\"value\":\"2015\",\"precision\":\"year\"},\"provenance\":{\"basis\":\"stated\"}}", "body", "json" },
        { "{\"type\":\"staff_trained\",\"siteId\":\"00000000-0000-0000-0000-000000000000\",\"count\":\"twelve\",\"occurredAt\":{\"value\":\"2015\",\"precision\":\"year\"},\"provenance\":{\"basis\":\"stated\"}}", "count", "json" },
        { "{\"type\":\"service_went_live\",\"siteId\":\"00000000-0000-0000-0000-000000000000\",\"colour\":\"blue\",\"occurredAt\":{\"value\":\"2015\",\"precision\":\"year\"},\"provenance\":{\"basis\":\"stated\"}}", "colour", "json" },
        { "{\"type\":\"service_went_live\",\"siteId\":\"00000000-0000-0000-0000-000000000000\",\"occurredAt\":{\"value\":\"2015\",\"precision\":\"yearly\"},\"provenance\":{\"basis\":\"stated\"}}", "occurredAt.precision", "json" },
        { "", "body", "required" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_bodies_get_400_naming_the_field_and_append_nothing(string body, string field, string rule)
    {
        var client = api.Client;
        var start = await client.StartAsync(Innovation("Malformed"));

        var response = await client.PostFactAsync(start.InnovationId, ApiClient.Body(body));

        var problem = await ApiClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        (problem.GetProperty("field").GetString(), problem.GetProperty("rule").GetString()).ShouldBe((field, rule));
        (await client.HistoryAsync(start.InnovationId)).Version.ShouldBe(1);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_gets_413()
    {
        var client = api.Client;
        var start = await client.StartAsync(Innovation("Huge"));
        var huge = $"{{\"type\":\"pathway_changed\",\"pathway\":\"{new string('x', 300 * 1024)}\",\"change\":\"x\"}}";

        var response = await client.PostFactAsync(start.InnovationId, ApiClient.Body(huge));

        (await ApiClient.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge)).GetProperty("rule").GetString().ShouldBe("max-size");
        (await client.HistoryAsync(start.InnovationId)).Version.ShouldBe(1);
    }

    [Fact]
    public async Task An_unknown_innovation_gets_404()
    {
        var site = await api.Client.RegisterOrganisationAsync("Nowhere Trust");
        var response = await api.Client.PostFactAsync(Guid.NewGuid(), ApiClient.Body(Adopt(site)));

        (await ApiClient.ProblemAsync(response, HttpStatusCode.NotFound)).GetProperty("field").GetString().ShouldBe("innovationId");
        var history = await api.Client.Http.GetAsync($"/api/innovations/{Guid.NewGuid()}/events", Ct);
        await ApiClient.ProblemAsync(history, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rule_breaking_facts_are_refused_with_their_rule_and_nothing_is_appended()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Rules Trust");
        var start = await client.StartAsync(Innovation("Rules"));

        var goLive = await ApiClient.ProblemAsync(await client.PostFactAsync(start.InnovationId, ApiClient.Body(GoLive(site))), HttpStatusCode.Conflict);
        goLive.GetProperty("rule").GetString().ShouldBe("site-transition");

        var unknownSite = await ApiClient.ProblemAsync(await client.PostFactAsync(start.InnovationId, ApiClient.Body(Adopt(Guid.NewGuid()))), HttpStatusCode.UnprocessableEntity);
        (unknownSite.GetProperty("field").GetString(), unknownSite.GetProperty("rule").GetString()).ShouldBe(("siteId", "known-organisation"));

        var future = Adopt(site) with { OccurredAt = new PartialDate { Value = "2099", Precision = DatePrecision.Year } };
        (await ApiClient.ProblemAsync(await client.PostFactAsync(start.InnovationId, ApiClient.Body(future)), HttpStatusCode.BadRequest))
            .GetProperty("rule").GetString().ShouldBe("not-in-future");

        var badCode = new BarrierEncountered { Code = "ZZ", Scope = BarrierScope.National, Severity = Severity.Low, OccurredAt = SampleJourney.Year("2012"), Provenance = Stated };
        var codeProblem = await ApiClient.ProblemAsync(await client.PostFactAsync(start.InnovationId, ApiClient.Body(badCode)), HttpStatusCode.BadRequest);
        codeProblem.GetProperty("detail").GetString()!.ShouldContain("is not a barrier code");

        var dangling = new BarrierResolved { BarrierEventId = Guid.NewGuid(), How = "x", OccurredAt = SampleJourney.Year("2012"), Provenance = Stated };
        (await ApiClient.ProblemAsync(await client.PostFactAsync(start.InnovationId, ApiClient.Body(dangling)), HttpStatusCode.UnprocessableEntity))
            .GetProperty("field").GetString().ShouldBe("barrierEventId");

        var wrongStart = await client.Http.PostAsync("/api/innovations", ApiClient.Body(GoLive(site)), Ct);
        (await ApiClient.ProblemAsync(wrongStart, HttpStatusCode.BadRequest)).GetProperty("rule").GetString().ShouldBe("journey-start");

        (await client.HistoryAsync(start.InnovationId)).Version.ShouldBe(1);
    }

    [Fact]
    public async Task A_causal_link_across_journeys_that_would_close_a_cycle_is_refused()
    {
        var client = api.Client;
        var a = await client.StartAsync(Innovation("Cause"));
        var b = await client.StartAsync(new NeedIdentified { Need = "Effect", OccurredAt = SampleJourney.Year("2010"), Provenance = Stated, CausedBy = [a.Events[0].Id] });

        var cycle = new AdoptionEvents.Journeys.Domino.CausalLinkAsserted { CauseEventId = b.Events[0].Id, EffectEventId = a.Events[0].Id, OccurredAt = SampleJourney.Year("2012"), Provenance = Stated };
        var response = await client.PostFactAsync(a.InnovationId, ApiClient.Body(cycle));

        (await ApiClient.ProblemAsync(response, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("acyclic");
    }

    [Fact]
    public async Task The_vocabularies_list_every_code_and_event_type()
    {
        var response = await api.Client.Http.GetAsync("/api/vocabularies", Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.OK);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        body.GetProperty("eventTypes").GetArrayLength().ShouldBe(EventCatalogue.Entries.Count);
        body.GetProperty("barrierCodes").EnumerateArray().Select(c => c.GetProperty("code").GetString()).ShouldContain("D2");
        body.GetProperty("dominoKinds").GetArrayLength().ShouldBe(13);
    }
}
