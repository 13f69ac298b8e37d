using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Marten;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.ReadModels;

/// <summary>
/// The daemon folds a summary a batch at a time, reading only the sites and barriers a batch names; a fold
/// of the whole stream in memory must give the same summary, site and barrier documents.
/// </summary>
public class SummaryDocumentsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static PartialDate D(string v) => new() { Value = v, Precision = DatePrecision.Day };

    /// <summary>Documents as JSON with object keys sorted: PostgreSQL's jsonb keeps keys in its own order, not the dictionaries'.</summary>
    private static string Json<T>(IEnumerable<T> documents) =>
        string.Join('\n', documents.Select(d => Sorted(JsonSerializer.SerializeToNode(d, ApiClient.JsonOptions))!.ToJsonString()).Order(StringComparer.Ordinal));

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    [Fact]
    public async Task Summaries_folded_batch_by_batch_equal_a_fold_of_the_whole_stream_with_sites_and_barriers_beside_them()
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

        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(innovation, token: Ct);
        var whole = SummaryBatch.Empty();
        whole.Fold(new InnovationSummaryProjection(api.Host.Services.GetRequiredService<IOptions<StageThresholds>>().Value), events);
        var expected = whole.Changes();

        var summary = await session.LoadAsync<InnovationSummary>(innovation, Ct);
        var storedSites = await session.Query<SummarySite>().Where(s => s.InnovationId == innovation).ToListAsync(Ct);
        var storedBarriers = await session.Query<BarrierEntry>().Where(b => b.InnovationId == innovation).ToListAsync(Ct);

        Json([summary!]).ShouldBe(Json(expected.Summaries));
        Json(storedSites).ShouldBe(Json(expected.Sites));
        Json(storedBarriers).ShouldBe(Json(expected.Barriers));

        storedSites.ToDictionary(s => s.SiteId, s => s.State).ShouldBe(new Dictionary<Guid, SiteState>
        {
            [sites[0]] = SiteState.Sustained, [sites[1]] = SiteState.Suspended, [sites[2]] = SiteState.Adopting, [sites[3]] = SiteState.Adopting,
        }, ignoreOrder: true);
        storedBarriers.Select(b => b.EventId).ShouldBe([resolved, open], ignoreOrder: true);
        storedBarriers.Single(b => b.EventId == resolved).How.ShouldBe("funding found");
        summary!.OpenBarrierCount.ShouldBe(1);
        (summary.SitesByState[SiteState.Sustained], summary.SitesByState[SiteState.Suspended], summary.SitesByState[SiteState.Adopting]).ShouldBe((1, 1, 2));
        summary.EverLive.ShouldBe(2);
    }
}
