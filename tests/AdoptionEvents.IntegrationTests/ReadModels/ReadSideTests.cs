using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;
using Marten;

namespace AdoptionEvents.IntegrationTests.ReadModels;

/// <summary>Two journeys across two regions, recorded once through HTTP and read through every view.</summary>
public sealed class ReadSideWorld(TestDatabase database) : IAsyncLifetime
{
    public ApiFixture Api { get; } = new(database);

    public Guid NorthWest { get; private set; }

    public Guid London { get; private set; }

    public Guid Hin { get; private set; }

    public Guid Liverpool { get; private set; }

    public Guid Lambeth { get; private set; }

    public Guid Sefton { get; private set; }

    public Guid Escape { get; private set; }

    public Guid Flo { get; private set; }

    public Dictionary<string, Guid> EscapeIds { get; private set; } = [];

    public Guid FloBarrier { get; private set; }

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static PartialDate D(string v) => new() { Value = v, Precision = DatePrecision.Day };

    public async ValueTask InitializeAsync()
    {
        await Api.InitializeAsync();
        var client = Api.Client;
        NorthWest = await client.RegisterOrganisationAsync("North West", OrganisationKind.NhsRegion);
        London = await client.RegisterOrganisationAsync("London", OrganisationKind.NhsRegion);
        Hin = await client.RegisterOrganisationAsync("Innovation Agency", OrganisationKind.Hin, [NorthWest]);
        var icb = await client.RegisterOrganisationAsync("Cheshire and Merseyside ICB", OrganisationKind.Icb, [Hin]);
        Liverpool = await client.RegisterOrganisationAsync("Liverpool University Hospitals", OrganisationKind.Trust, [icb]);
        Sefton = await client.RegisterOrganisationAsync("Sefton practice", OrganisationKind.GpPractice, [icb]);
        Lambeth = await client.RegisterOrganisationAsync("Guy's and St Thomas'", OrganisationKind.Trust, [London]);

        // ESCAPE-pain: the whole catalogue, origin Lambeth, other site Liverpool; ends retired.
        (Escape, EscapeIds) = await client.RecordSampleJourneyAsync(Lambeth, Liverpool);

        // Flo: live at Liverpool and Sefton, an open barrier since 2018, observed reach in the North West.
        var flo = await client.StartAsync(new InnovationRegistered
        {
            Name = "Flo telehealth", InnovationType = "digital", Conditions = ["COPD", "hypertension"], OriginOrganisationId = Liverpool,
            OccurredAt = D("2009-01-01"), Provenance = Stated,
        });
        Flo = flo.InnovationId;
        foreach (var site in new[] { Liverpool, Sefton })
        {
            await client.RecordAsync(Flo, new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = D("2010-01-01"), Provenance = Stated });
            await client.RecordAsync(Flo, new ServiceWentLive { SiteId = site, OccurredAt = D("2011-01-01"), Provenance = Stated });
        }

        FloBarrier = (await client.RecordAsync(Flo, new BarrierEncountered { Code = "D2", Scope = BarrierScope.Site, SiteId = Sefton, Severity = Severity.High, OccurredAt = D("2018-01-01"), Provenance = Stated })).Events[0].Id;
        await client.RecordAsync(Flo, new MetricObserved { Metric = "sites_live", Value = 25, Unit = "count", OccurredAt = D("2013-01-01"), Provenance = Stated });
        await client.RecordAsync(Flo, new MetricObserved { Metric = "patients_benefiting", Value = 33000, Unit = "people", OccurredAt = D("2017-01-01"), Provenance = Stated });
        await client.RecordAsync(Flo, new MetricObserved { Metric = "patients_benefiting", Value = 1200, Unit = "people", Scope = MeasureScope.Region, ScopeOrganisationId = Hin, OccurredAt = D("2017-01-01"), Provenance = Stated });
        await Api.CatchUpAsync();
    }

    public ValueTask DisposeAsync() => Api.DisposeAsync();
}

public class ReadSideTests(ReadSideWorld world) : IClassFixture<ReadSideWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => world.Api.Client.Http;

    private async Task<T> GetAsync<T>(string url)
    {
        var response = await Http.GetAsync(url, Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<T>(ApiClient.JsonOptions, Ct))!;
    }

    private async Task<JsonElement> ProblemAsync(string url, HttpStatusCode status) => await ApiClient.ProblemAsync(await Http.GetAsync(url, Ct), status);

    [Fact]
    public async Task The_innovation_summary_shows_stage_overlays_regions_reach_and_the_rules_used()
    {
        var flo = await GetAsync<InnovationView>($"/api/innovations/{world.Flo}");

        flo.Summary.Name.ShouldBe("Flo telehealth");
        flo.Summary.Stage.ShouldBe(Stage.EarlySpread);
        flo.Overlays.ShouldBe([Overlay.Stalled]);
        flo.Summary.LiveSiteCount.ShouldBe(25);
        flo.Summary.SitesByState[SiteState.Live].ShouldBe(2);
        flo.LatestReach["patients_benefiting"].Value.ShouldBe(33000);
        flo.Regions.Select(r => r.Name).ShouldBe(["Cheshire and Merseyside ICB", "Innovation Agency", "North West"]);
        flo.Rules.WidespreadShare.ShouldBe(0.16m);
        flo.Barriers.Single().StageWhenEncountered.ShouldBe(Stage.EarlySpread);
        flo.Barriers.Single().InnovationId.ShouldBe(world.Flo);

        var escape = await GetAsync<InnovationView>($"/api/innovations/{world.Escape}");
        escape.Overlays.ShouldBe([Overlay.Superseded, Overlay.Transferred, Overlay.Retired]);
        escape.Summary.KeyDates.ShouldContainKey("first_national_lever");
        escape.Summary.EventCount.ShouldBe(SampleJourney.Steps(default, default).Count);

        await ProblemAsync($"/api/innovations/{Guid.NewGuid()}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_innovation_list_filters_sorts_and_pages()
    {
        async Task<List<string>> Names(string query) => [.. (await GetAsync<InnovationPage>($"/api/innovations{query}")).Items.Select(i => i.Name)];

        (await Names("")).ShouldBe(["ESCAPE-pain", "Flo telehealth"]);
        (await Names("?stage=early_spread")).ShouldBe(["Flo telehealth"]);
        (await Names("?overlay=stalled")).ShouldBe(["Flo telehealth"]);
        (await Names("?overlay=retired")).ShouldBe(["ESCAPE-pain"]);
        (await Names("?type=digital")).ShouldBe(["Flo telehealth"]);
        (await Names("?condition=copd")).ShouldBe(["Flo telehealth"]);
        (await Names("?q=escape")).ShouldBe(["ESCAPE-pain"]);
        (await Names($"?regionId={world.London}")).ShouldBeEmpty();
        (await Names($"?regionId={world.NorthWest}")).ShouldBe(["Flo telehealth"]);
        (await Names("?sort=live_sites")).ShouldBe(["Flo telehealth", "ESCAPE-pain"]);

        var first = await GetAsync<InnovationPage>("/api/innovations?limit=1");
        var second = await GetAsync<InnovationPage>($"/api/innovations?limit=1&after={Uri.EscapeDataString(first.Next!)}");
        (first.Items.Single().Name, second.Items.Single().Name, second.Next).ShouldBe(("ESCAPE-pain", "Flo telehealth", null));

        (await ProblemAsync("/api/innovations?stage=famous", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("stage");
        (await ProblemAsync("/api/innovations?overlay=1", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("overlay");
        (await ProblemAsync("/api/innovations?sort=colour", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("sort");
        (await ProblemAsync("/api/innovations?after=nonsense", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("after");
    }

    [Fact]
    public async Task The_site_register_answers_by_innovation_organisation_region_and_state()
    {
        var escapeSites = await GetAsync<SiteAdoptionPage>($"/api/innovations/{world.Escape}/sites");
        var lambeth = escapeSites.Items.Single(s => s.SiteId == world.Lambeth);
        lambeth.State.ShouldBe(SiteState.Discontinued);
        lambeth.Transitions.Select(t => t.State).ShouldBe([SiteState.Aware, SiteState.Considering, SiteState.Adopting, SiteState.Implementing, SiteState.Live, SiteState.Suspended, SiteState.Live, SiteState.Sustained, SiteState.Discontinued]);
        // As corrected: 15 trained (12 recorded, corrected to 14, then 15), the venue a community hall (a leisure centre recorded), live in March 2014 (2014), the
        // service merged (redesigned).
        (lambeth.StaffTrained, lambeth.Commissioned, lambeth.DiscontinuationReason).ShouldBe((15, true, "service merged"));
        var venue = lambeth.Adaptations.Single();
        (venue.Component, venue.Change, venue.CoreComponent, venue.OccurredAt.Value).ShouldBe(("venue", "community hall", true, "2013"));
        lambeth.Transitions.Where(t => t.State == SiteState.Live).Select(t => t.OccurredAt.Value).ShouldBe(["2014-03", "2016"]);

        var liverpool = await GetAsync<SiteAdoptionPage>($"/api/organisations/{world.Liverpool}/adoptions");
        // ESCAPE-pain's decision at Liverpool was retracted, its only change there: the site left ESCAPE-pain's register.
        liverpool.Items.Select(s => (s.InnovationId, s.State)).ShouldBe([(world.Flo, SiteState.Live)]);

        (await GetAsync<SiteAdoptionPage>($"/api/site-adoptions?regionId={world.NorthWest}&state=live")).Items.Select(s => s.SiteId)
            .ShouldBe([world.Liverpool, world.Sefton], ignoreOrder: true);
        (await GetAsync<SiteAdoptionPage>($"/api/site-adoptions?regionId={world.London}")).Items.Single().SiteId.ShouldBe(world.Lambeth);

        var paged = await GetAsync<SiteAdoptionPage>("/api/site-adoptions?limit=2");
        (paged.Items.Count, paged.NextOffset).ShouldBe((2, 2));

        (await ProblemAsync("/api/site-adoptions?state=thriving", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("state");
    }

    [Fact]
    public async Task The_barrier_board_counts_by_theme_code_stage_and_region_with_time_to_resolution()
    {
        var board = await GetAsync<JsonElement>("/api/barriers");

        // Open: Flo's, and the sample journey's second barrier, whose resolution was retracted.
        (board.GetProperty("open").GetInt32(), board.GetProperty("resolved").GetInt32()).ShouldBe((2, 1));
        board.GetProperty("byTheme").EnumerateArray().Select(t => t.GetProperty("key").GetString()).ShouldBe(["T3", "T5"]);
        var resolved = board.GetProperty("byCode").EnumerateArray().Single(t => t.GetProperty("key").GetString() == "R2");
        resolved.GetProperty("meanDaysToResolution").GetDouble().ShouldBe(366); // 2016 to 2017, midpoint to midpoint (2016 is a leap year)
        board.GetProperty("byRegion").EnumerateArray().Select(t => t.GetProperty("key").GetString()).ShouldBe(["(no site)", "Innovation Agency", "London"]);

        var open = await GetAsync<JsonElement>($"/api/barriers?status=open&regionId={world.NorthWest}");
        open.GetProperty("barriers").EnumerateArray().Single().GetProperty("barrier").GetProperty("eventId").GetGuid().ShouldBe(world.FloBarrier);
        (await GetAsync<JsonElement>("/api/barriers?theme=T1")).GetProperty("barriers").GetArrayLength().ShouldBe(0);

        (await ProblemAsync("/api/barriers?status=maybe", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("status");
        (await ProblemAsync("/api/barriers?theme=T9", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("theme");
    }

    [Fact]
    public async Task The_change_log_follows_causes_and_effects_by_kind_and_as_of_a_date()
    {
        var ids = world.EscapeIds;
        var log = await GetAsync<JsonElement>($"/api/innovations/{world.Escape}/change-log");
        var nodes = log.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetGuid());
        nodes.ShouldContainKey(ids["decided"]);
        nodes[ids["derived"]].GetProperty("depth").GetInt32().ShouldBe(4);
        nodes[ids["derived"]].GetProperty("root").GetGuid().ShouldBe(ids["decided"]);
        // Went live in 2014, corrected to March 2014 (midpoint 16 March, not 2 July); knock-on 2019 (midpoint 2 July).
        nodes[ids["domino"]].GetProperty("lagFromCause").GetProperty("midpointDays").GetInt32().ShouldBe(1934);
        nodes[ids["live"]].GetProperty("occurredAt").GetProperty("value").GetString().ShouldBe("2014-03");
        nodes[ids["decided"]].GetProperty("occurredAt").GetProperty("value").GetString().ShouldBe("2013-02"); // no causes, no kind: kept as corrected

        var setOff = await GetAsync<JsonElement>($"/api/change-log/{ids["live"]}/descendants");
        setOff.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetGuid())
            .ShouldBe([ids["live"], ids["domino"], ids["role"], ids["new-need"], ids["derived"]], ignoreOrder: true);

        var ledTo = await GetAsync<JsonElement>($"/api/change-log/{ids["new-need"]}/ancestors");
        ledTo.GetProperty("nodes").GetArrayLength().ShouldBe(4);

        var before = await GetAsync<JsonElement>($"/api/change-log?asOf=2019-01-01");
        before.GetProperty("nodes").EnumerateArray().ShouldNotContain(n => n.GetProperty("id").GetGuid() == ids["derived"]);
        (await GetAsync<JsonElement>("/api/change-log?kind=patient_role_change")).GetProperty("nodes").GetArrayLength().ShouldBe(1);

        await ProblemAsync($"/api/change-log/{Guid.NewGuid()}/descendants", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Network_figures_count_site_events_and_observations_once_nationally_and_per_region()
    {
        var national = await GetAsync<NetworkFiguresView>("/api/network-figures");
        national.Figures.InnovationsSpread.ShouldBe(1);
        // Flo: 25 observed beats 2 from site events; ESCAPE-pain: 112 observed (110 corrected) beats none live.
        national.Figures.LocationsLive.ShouldBe(25 + 112);
        national.Figures.PatientsBenefiting.ShouldBe(33000);
        national.Definitions.ShouldContain("never their sum");

        var northWest = await GetAsync<NetworkFiguresView>($"/api/network-figures?organisationId={world.NorthWest}");
        (northWest.Figures.LocationsLive, northWest.Figures.PatientsBenefiting).ShouldBe((2, 1200));

        var period = await GetAsync<NetworkFiguresView>("/api/network-figures?from=2012-01-01&to=2016-01-01");
        // 2012: Flo's two sites; 2016: Flo's 25 observed and ESCAPE-pain's origin, live since 2014.
        (period.AtFrom!.LocationsLive, period.Figures.LocationsLive, period.Change!.LocationsLive).ShouldBe((2, 26, 24));

        await ProblemAsync($"/api/network-figures?organisationId={Guid.NewGuid()}", HttpStatusCode.NotFound);
        (await ProblemAsync("/api/network-figures?from=2020-01-01&to=2019-01-01", HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("from");
        (await Http.GetAsync("/api/network-figures?to=yesterday", Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public void The_network_figures_shard_asks_the_daemon_only_for_the_events_it_reads()
    {
        var options = (StoreOptions)world.Api.Store.Options;
        var shard = options.Projections.All.OfType<JasperFx.Events.Projections.EventFilterable>()
            .Single(p => p is JasperFx.Events.Projections.ProjectionBase { Name: AdoptionEvents.ReadModels.Configuration.ObservedMetrics });

        shard.IncludedEventTypes.ShouldBe([typeof(MetricObserved), typeof(EventCorrected), typeof(EventRetracted)], ignoreOrder: true);
    }

    [Fact]
    public async Task Ready_reports_the_lag_of_every_async_projection_and_no_relay_without_a_broker()
    {
        // A relay position left from a start with a broker (none is configured here) is not a shard this node runs or reports.
        var schema = world.Api.Store.Options.Events.DatabaseSchemaName;
        await using var connection = world.Api.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var stale = new Npgsql.NpgsqlCommand(
            $"insert into {schema}.mt_event_progression (name, last_seq_id) values ('IntegrationRelay:All', 0) on conflict (name) do nothing", connection))
        {
            await stale.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var (_, projections) = await world.Api.Client.ReadinessAsync();
        projections.GetProperty("status").GetString().ShouldBe("Healthy");
        projections.GetProperty("data").EnumerateObject().Select(p => p.Name.Split(':')[0])
            .ShouldBe(["InnovationSummaries", "ObservedMetrics", "SiteRegister"], ignoreOrder: true);
        await using var remove = new Npgsql.NpgsqlCommand($"delete from {schema}.mt_event_progression where name = 'IntegrationRelay:All'", connection);
        await remove.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
