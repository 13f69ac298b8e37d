using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Marten;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.ReadModels;

/// <summary>
/// The daemon folds a summary a batch at a time, reading only the sites, barriers and metrics a batch names; a
/// fold of the whole stream in memory must give the same summary, site, barrier and metric documents.
/// </summary>
public class SummaryDocumentsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static PartialDate D(string v) => new() { Value = v, Precision = DatePrecision.Day };

    /// <summary>
    /// Documents as the store writes them, with object keys sorted: PostgreSQL's jsonb keeps keys in its own
    /// order, not the dictionaries'.
    /// </summary>
    private string Json<T>(IEnumerable<T> documents)
    {
        var serializer = api.Store.Options.Serializer();
        return string.Join('\n', documents.Select(d => Sorted(JsonNode.Parse(serializer.ToJson(d)))!.ToJsonString()).Order(StringComparer.Ordinal));
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    [Fact]
    public async Task Summaries_folded_batch_by_batch_equal_a_fold_of_the_whole_stream_with_sites_barriers_and_metrics_beside_them()
    {
        var client = api.Client;
        var origin = await client.RegisterOrganisationAsync("Summary origin trust");
        var sites = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            sites.Add(await client.RegisterOrganisationAsync($"Summary site {i}", OrganisationKind.GpPractice));
        }

        var innovation = (await client.StartAsync(new InnovationRegistered
        {
            Name = "Batch by batch", InnovationType = "digital", OriginOrganisationId = origin, OccurredAt = D("2015-01-01"), Provenance = Stated,
        })).InnovationId;

        // Each step is caught up before the next, so the daemon folds it in a batch of its own, onto what earlier batches stored.
        async Task<Guid> StepAsync(JourneyEvent fact)
        {
            var id = (await client.RecordAsync(innovation, fact)).Events[0].Id;
            await api.CatchUpAsync();
            return id;
        }

        foreach (var site in sites)
        {
            await StepAsync(new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = D("2016-01-01"), Provenance = Stated });
        }

        await StepAsync(new ServiceWentLive { SiteId = sites[0], OccurredAt = D("2016-06-01"), Provenance = Stated });
        await StepAsync(new StaffTrained { SiteId = sites[0], Count = 4, Role = "GP", OccurredAt = D("2016-07-01"), Provenance = Stated });
        await StepAsync(new ServiceWentLive { SiteId = sites[1], OccurredAt = D("2016-08-01"), Provenance = Stated });
        var resolved = await StepAsync(new BarrierEncountered { Code = "D2", Scope = BarrierScope.Site, SiteId = sites[2], Severity = Severity.High, OccurredAt = D("2017-01-01"), Provenance = Stated });
        var retracted = await StepAsync(new BarrierEncountered { Code = "D2", Scope = BarrierScope.Site, SiteId = sites[3], Severity = Severity.Low, OccurredAt = D("2017-02-01"), Provenance = Stated });
        var open = await StepAsync(new BarrierEncountered { Code = "D2", Scope = BarrierScope.Innovation, Severity = Severity.Medium, OccurredAt = D("2017-03-01"), Provenance = Stated });
        await StepAsync(new BarrierResolved { BarrierEventId = resolved, How = "funding found", OccurredAt = D("2018-01-01"), Provenance = Stated });
        await StepAsync(new EventRetracted { RetractedEventId = retracted, Reason = "recorded twice", OccurredAt = D("2018-02-01"), Provenance = Stated });
        await StepAsync(new SustainmentConfirmed { SiteId = sites[0], OccurredAt = D("2019-01-01"), Provenance = Stated });
        await StepAsync(new AdoptionSuspended { SiteId = sites[1], Reason = "staff left", OccurredAt = D("2019-02-01"), Provenance = Stated });

        // Metrics: a batch that observes one metric holds only that one, so the others and the observed live count must stand.
        MetricObserved Observed(string metric, decimal value, string unit, string at) =>
            new() { Metric = metric, Value = value, Unit = unit, OccurredAt = D(at), Provenance = Stated };
        await StepAsync(Observed("sites_live", 3, "count", "2019-03-01"));
        var wrongCount = await StepAsync(Observed("sites_live", 9, "count", "2019-06-01"));
        var patients = await StepAsync(Observed("patients_benefiting", 100, "people", "2019-04-01"));
        await StepAsync(Observed("patients_benefiting", 80, "people", "2019-01-01"));
        await StepAsync(new EventCorrected
        {
            CorrectedEventId = patients, Changes = new Dictionary<string, JsonElement> { ["value"] = JsonSerializer.SerializeToElement(120) }, Reason = "late return",
            OccurredAt = D("2019-07-01"), Provenance = Stated,
        });
        await StepAsync(new EventRetracted { RetractedEventId = wrongCount, Reason = "counted a pilot twice", OccurredAt = D("2019-08-01"), Provenance = Stated });
        await StepAsync(Observed("patients_benefiting", 150, "people", "2019-09-01"));

        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(innovation, token: Ct);
        var whole = SummaryBatch.Empty();
        whole.Fold(new InnovationSummaryProjection(api.Host.Services.GetRequiredService<IOptions<StageThresholds>>().Value), events);
        var expected = whole.Changes();

        var summary = await session.LoadAsync<InnovationSummary>(innovation, Ct);
        var storedSites = await session.Query<SummarySite>().Where(s => s.InnovationId == innovation).ToListAsync(Ct);
        var storedBarriers = await session.Query<BarrierEntry>().Where(b => b.InnovationId == innovation).ToListAsync(Ct);
        var storedMetrics = await session.Query<SummaryMetric>().Where(m => m.InnovationId == innovation).ToListAsync(Ct);

        Json([summary!]).ShouldBe(Json(expected.Summaries));
        Json(storedSites).ShouldBe(Json(expected.Sites));
        Json(storedBarriers).ShouldBe(Json(expected.Barriers));
        Json(storedMetrics).ShouldBe(Json(expected.Metrics));

        storedSites.ToDictionary(s => s.SiteId, s => s.State).ShouldBe(new Dictionary<Guid, SiteState>
        {
            [sites[0]] = SiteState.Sustained, [sites[1]] = SiteState.Suspended, [sites[2]] = SiteState.Adopting, [sites[3]] = SiteState.Adopting,
        }, ignoreOrder: true);
        storedBarriers.Select(b => b.EventId).ShouldBe([resolved, open], ignoreOrder: true);
        storedBarriers.Single(b => b.EventId == resolved).How.ShouldBe("funding found");
        summary!.OpenBarrierCount.ShouldBe(1);
        (summary.SitesByState[SiteState.Sustained], summary.SitesByState[SiteState.Suspended], summary.SitesByState[SiteState.Adopting]).ShouldBe((1, 1, 2));
        summary.EverLive.ShouldBe(2);

        // The stored summary leaves the histories to their documents; the answer over HTTP still carries them.
        JsonNode.Parse((await session.Json.FindByIdAsync<InnovationSummary>(innovation, Ct))!)!.AsObject().ContainsKey("metrics").ShouldBeFalse();
        summary.ObservedLiveSites.ShouldBe(3);
        storedMetrics.Single(m => m.Metric == "patients_benefiting").Observations.Select(o => o.Value).ShouldBe([80m, 120m, 150m]);
        storedMetrics.Single(m => m.Metric == "sites_live").Observations.Select(o => o.Value).ShouldBe([3m]);
        var view = await client.Http.GetFromJsonAsync<JsonElement>($"/api/innovations/{innovation}", Ct);
        view.GetProperty("summary").GetProperty("metrics").GetProperty("patients_benefiting").GetArrayLength().ShouldBe(3);
        view.GetProperty("latestReach").GetProperty("patients_benefiting").GetProperty("value").GetDecimal().ShouldBe(150m);
    }
}
