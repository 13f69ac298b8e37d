using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdoptionEvents.Importing;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Journeys;

/// <summary>
/// The event index keeps only the events found by content (domino events and events with causes): every other
/// journey event is still known by id, from the stored event, wherever an event is named.
/// </summary>
public class EventReferenceTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static InnovationRegistered Innovation(string name) =>
        new() { Name = name, InnovationType = "digital", OccurredAt = SampleJourney.Year("2010"), Provenance = Stated };

    private static MetricObserved Metric(string year) =>
        new() { Metric = "sites_live", Value = 3, Unit = "count", OccurredAt = SampleJourney.Year(year), Provenance = Stated };

    private async Task<int> IndexDocumentsAsync(params Guid[] ids)
    {
        await using var session = api.Store.QuerySession();
        return (await session.LoadManyAsync<IndexedEvent>(Ct, ids)).Count;
    }

    private async Task<HttpResponseMessage> PostAsync(Guid innovationId, JourneyEvent fact) => await api.Client.PostFactAsync(innovationId, ApiClient.Body(fact));

    private async Task<Dictionary<Guid, ChangeNode>> NodesAsync(string url) =>
        (await api.Client.Http.GetFromJsonAsync<ChangeLogView>(url, ApiClient.JsonOptions, Ct))!.Nodes.ToDictionary(n => n.Id);

    [Fact]
    public async Task A_plain_event_has_no_index_document_yet_resolves_as_a_cause_a_linked_event_and_the_target_of_a_correction_or_retraction()
    {
        var client = api.Client;
        var start = await client.StartAsync(Innovation("Plain references"));
        var registered = start.Events[0].Id;
        var metric = (await client.RecordAsync(start.InnovationId, Metric("2012"))).Events[0].Id;
        var award = (await client.RecordAsync(start.InnovationId, new AwardReceived { Award = "Regional award", OccurredAt = SampleJourney.Year("2013"), Provenance = Stated })).Events[0].Id;
        (await IndexDocumentsAsync(registered, metric, award)).ShouldBe(0);

        var evidence = await client.RecordAsync(start.InnovationId, new EvidenceRecorded
        {
            EvidenceType = "observational", Title = "Audit", Finding = "fewer admissions", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated, CausedBy = [registered],
        });
        (await IndexDocumentsAsync(evidence.Events[0].Id)).ShouldBe(1);

        await client.RecordAsync(start.InnovationId, new CausalLinkAsserted { CauseEventId = metric, EffectEventId = award, OccurredAt = SampleJourney.Year("2015"), Provenance = Stated });
        // The asserted link alone leads from the metric to the award: linking back would close a cycle.
        var back = new CausalLinkAsserted { CauseEventId = award, EffectEventId = metric, OccurredAt = SampleJourney.Year("2015"), Provenance = Stated };
        (await ApiClient.ProblemAsync(await PostAsync(start.InnovationId, back), HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("acyclic");

        await client.RecordAsync(start.InnovationId, new EventCorrected
        {
            CorrectedEventId = metric, Changes = new Dictionary<string, JsonElement> { ["value"] = JsonSerializer.SerializeToElement(4) }, Reason = "recount",
            OccurredAt = SampleJourney.Year("2016"), Provenance = Stated,
        });
        await client.RecordAsync(start.InnovationId, new EventRetracted { RetractedEventId = award, Reason = "another programme's", OccurredAt = SampleJourney.Year("2016"), Provenance = Stated });

        // The stored event says which journey it belongs to and what it is.
        var other = await client.StartAsync(Innovation("Another journey"));
        var elsewhere = new EventRetracted { RetractedEventId = metric, Reason = "not ours", OccurredAt = SampleJourney.Year("2016"), Provenance = Stated };
        (await ApiClient.ProblemAsync(await PostAsync(other.InnovationId, elsewhere), HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("same-journey");
        var notABarrier = new BarrierResolved { BarrierEventId = metric, How = "n/a", OccurredAt = SampleJourney.Year("2016"), Provenance = Stated };
        var wrongType = await ApiClient.ProblemAsync(await PostAsync(start.InnovationId, notABarrier), HttpStatusCode.UnprocessableEntity);
        (wrongType.GetProperty("rule").GetString(), wrongType.GetProperty("detail").GetString()).ShouldBe(("event-type", $"barrierEventId: event {metric} is a metric_observed, not a barrier_encountered"));
    }

    [Fact]
    public async Task An_organisation_event_id_stays_unknown_to_references_the_change_log_and_imports()
    {
        var organisation = await api.Client.RegisterOrganisationAsync("Reference Trust");
        Guid registration;
        await using (var session = api.Store.QuerySession())
        {
            registration = (await session.Events.FetchStreamAsync(organisation, token: Ct))[0].Id;
        }

        var start = await api.Client.StartAsync(Innovation("Organisation references"));
        var caused = new EvidenceRecorded { EvidenceType = "rct", Title = "Trial", Finding = "none", OccurredAt = SampleJourney.Year("2012"), Provenance = Stated, CausedBy = [registration] };
        var problem = await ApiClient.ProblemAsync(await PostAsync(start.InnovationId, caused), HttpStatusCode.UnprocessableEntity);
        (problem.GetProperty("field").GetString(), problem.GetProperty("rule").GetString()).ShouldBe(("causedBy", "known-event"));
        var link = new CausalLinkAsserted { CauseEventId = registration, EffectEventId = start.Events[0].Id, OccurredAt = SampleJourney.Year("2012"), Provenance = Stated };
        (await ApiClient.ProblemAsync(await PostAsync(start.InnovationId, link), HttpStatusCode.UnprocessableEntity)).GetProperty("field").GetString().ShouldBe("causeEventId");

        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/change-log/{registration}/ancestors", Ct), HttpStatusCode.NotFound);
        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/change-log/{registration}/descendants", Ct), HttpStatusCode.NotFound);

        var importer = api.Host.Services.GetRequiredService<Importer>();
        var report = await importer.ImportAsync(OneEventFile("org-ref", registration), new ImportOptions("tester"), null, Ct);
        report.Outcome.ShouldBe(ImportOutcome.Refused);
        report.Problems.ShouldHaveSingleItem().Rule.ShouldBe("known-event");
    }

    [Fact]
    public async Task An_import_file_may_name_a_stored_plain_event_as_a_cause()
    {
        var start = await api.Client.StartAsync(Innovation("Imported effect"));
        var plain = start.Events[0].Id;
        (await IndexDocumentsAsync(plain)).ShouldBe(0);

        var importer = api.Host.Services.GetRequiredService<Importer>();
        var file = OneEventFile("plain-ref", plain);
        var report = await importer.ImportAsync(file, new ImportOptions("tester"), null, Ct);

        report.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", report.Problems));
        report.EventsWritten.ShouldBe(1);
        var imported = file.Journeys[0].Events[0].Id;
        var descendants = await NodesAsync($"/api/change-log/{plain}/descendants");
        descendants.Keys.ShouldBe([plain, imported], ignoreOrder: true);
        descendants[imported].InnovationId.ShouldBe(file.Journeys[0].InnovationId);
        (await importer.ImportAsync(file, new ImportOptions("tester"), null, Ct)).EventsSkipped.ShouldBe(1);
    }

    [Fact]
    public async Task The_change_log_starts_at_a_plain_event_and_reaches_plain_events_through_causes_and_asserted_links()
    {
        var client = api.Client;
        var start = await client.StartAsync(Innovation("Plain change log"));
        var registered = start.Events[0].Id;
        var metric = (await client.RecordAsync(start.InnovationId, Metric("2012") with { Summary = "three sites" })).Events[0].Id;
        var domino = (await client.RecordAsync(start.InnovationId, new DominoChangeObserved
        {
            Kind = "pathway_redesign", Target = "referrals", Direction = Direction.Shift, Desirability = Desirability.Desirable, Anticipation = Anticipation.Unanticipated,
            OccurredAt = SampleJourney.Year("2014"), Provenance = Stated, CausedBy = [registered],
        })).Events[0].Id;
        var effect = (await client.RecordAsync(start.InnovationId, Metric("2016"))).Events[0].Id;
        await client.RecordAsync(start.InnovationId, new CausalLinkAsserted { CauseEventId = domino, EffectEventId = effect, OccurredAt = SampleJourney.Year("2017"), Provenance = Stated });
        await client.RecordAsync(start.InnovationId, new CausalLinkAsserted { CauseEventId = metric, EffectEventId = domino, OccurredAt = SampleJourney.Year("2017"), Provenance = Stated });
        (await IndexDocumentsAsync(registered, metric, effect)).ShouldBe(0);

        // A node made from the stored event is the document the index would have kept.
        var fromRegistered = await NodesAsync($"/api/change-log/{registered}/descendants");
        fromRegistered.Keys.ShouldBe([registered, domino, effect], ignoreOrder: true);
        var node = fromRegistered[registered];
        (node.InnovationId, node.Type, node.Kind, node.OccurredAt, node.Depth).ShouldBe((start.InnovationId, "innovation_registered", null, SampleJourney.Year("2010"), 0));
        fromRegistered[effect].Depth.ShouldBe(2);

        var toEffect = await NodesAsync($"/api/change-log/{effect}/ancestors");
        toEffect.Keys.ShouldBe([effect, domino, registered, metric], ignoreOrder: true);
        (toEffect[metric].Type, toEffect[metric].Summary).ShouldBe(("metric_observed", "three sites"));
        (await NodesAsync($"/api/change-log/{metric}/ancestors")).Keys.ShouldBe([metric]);

        var log = await NodesAsync($"/api/innovations/{start.InnovationId}/change-log");
        log.Keys.ShouldBe([domino, registered, metric], ignoreOrder: true);
        log[domino].Depth.ShouldBe(1);
    }

    [Fact]
    public async Task A_retracted_fact_or_link_leaves_the_change_log_and_a_retracted_withdrawal_brings_its_link_back()
    {
        var client = api.Client;
        var start = await client.StartAsync(Innovation("Retractions in the change log"));
        var innovation = start.InnovationId;
        var registered = start.Events[0].Id;
        async Task<Guid> RecordAsync(JourneyEvent fact) => (await client.RecordAsync(innovation, fact)).Events[0].Id;
        DominoChangeObserved Domino(string kind, Guid cause) => new()
        {
            Kind = kind, Target = "referrals", Direction = Direction.Shift, Desirability = Desirability.Desirable, Anticipation = Anticipation.Unanticipated,
            OccurredAt = SampleJourney.Year("2014"), Provenance = Stated, CausedBy = [cause],
        };
        EventRetracted Retraction(Guid id) => new() { RetractedEventId = id, Reason = "recorded in error", OccurredAt = SampleJourney.Year("2020"), Provenance = Stated };
        var metric = await RecordAsync(Metric("2012"));
        var first = await RecordAsync(Domino("pathway_redesign", registered));
        var second = await RecordAsync(Domino("staff_role_change", first));
        var link = await RecordAsync(new CausalLinkAsserted { CauseEventId = metric, EffectEventId = second, OccurredAt = SampleJourney.Year("2017"), Provenance = Stated });
        var withdrawal = await RecordAsync(new CausalLinkWithdrawn { LinkEventId = link, Reason = "not shown", OccurredAt = SampleJourney.Year("2018"), Provenance = Stated });
        (await NodesAsync($"/api/innovations/{innovation}/change-log")).Keys.ShouldBe([first, second, registered], ignoreOrder: true);

        // As an index written before withdrawals were named: the upgrade sees it and rebuilds the index at start.
        await api.UpgradeFromOlderAsync<EventIndexUpgrade>("update {schema}.mt_doc_causaledge set data = data - 'withdrawnBy'");

        // The withdrawal was wrong: the link stands again, and the metric is a cause of the second change.
        await RecordAsync(Retraction(withdrawal));
        (await NodesAsync($"/api/innovations/{innovation}/change-log")).Keys.ShouldBe([first, second, registered, metric], ignoreOrder: true);

        // The first change was never seen: it leaves the log, and the registration, a cause of the second only through it, with it.
        await RecordAsync(Retraction(first));
        var log = await NodesAsync($"/api/innovations/{innovation}/change-log");
        log.Keys.ShouldBe([second, metric], ignoreOrder: true);
        log[second].Depth.ShouldBe(1);
        (await NodesAsync($"/api/change-log/{second}/ancestors")).Keys.ShouldBe([second, metric], ignoreOrder: true);
        (await NodesAsync($"/api/change-log/{registered}/descendants")).Keys.ShouldBe([registered]);

        // And the link: the second change stands alone. The as-of view's change log, folded in memory, says the same.
        await RecordAsync(Retraction(link));
        (await NodesAsync($"/api/innovations/{innovation}/change-log")).Keys.ShouldBe([second]);

        // Nor does the retracted link close a cycle: the second change may now be linked as a cause of the metric.
        await RecordAsync(new CausalLinkAsserted { CauseEventId = second, EffectEventId = metric, OccurredAt = SampleJourney.Year("2019"), Provenance = Stated });
        var asOf = (await client.Http.GetFromJsonAsync<AdoptionEvents.Evaluation.AsOfView>($"/api/innovations/{innovation}/as-of?occurredBy=2030-01-01", ApiClient.JsonOptions, TestContext.Current.CancellationToken))!;
        asOf.ChangeLog.Nodes.Select(n => n.Id).ShouldBe([second]);
    }

    [Fact]
    public async Task A_link_recorded_on_another_journey_and_retracted_there_leaves_the_change_log()
    {
        var client = api.Client;
        var a = await client.StartAsync(Innovation("Link's journey"));
        var b = await client.StartAsync(Innovation("Effect's journey"));
        var domino = (await client.RecordAsync(b.InnovationId, new DominoChangeObserved
        {
            Kind = "pathway_redesign", Target = "referrals", Direction = Direction.Shift, Desirability = Desirability.Desirable, Anticipation = Anticipation.Unanticipated,
            OccurredAt = SampleJourney.Year("2014"), Provenance = Stated,
        })).Events[0].Id;
        var link = (await client.RecordAsync(a.InnovationId, new CausalLinkAsserted { CauseEventId = a.Events[0].Id, EffectEventId = domino, OccurredAt = SampleJourney.Year("2016"), Provenance = Stated })).Events[0].Id;
        (await NodesAsync($"/api/innovations/{b.InnovationId}/change-log")).Keys.ShouldBe([domino, a.Events[0].Id], ignoreOrder: true);

        // While the link stands, the domino change cannot be linked back as a cause of the registration it follows from.
        var back = new CausalLinkAsserted { CauseEventId = domino, EffectEventId = a.Events[0].Id, OccurredAt = SampleJourney.Year("2021"), Provenance = Stated };
        (await ApiClient.ProblemAsync(await PostAsync(b.InnovationId, back), HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("acyclic");

        await client.RecordAsync(a.InnovationId, new EventRetracted { RetractedEventId = link, Reason = "not shown", OccurredAt = SampleJourney.Year("2020"), Provenance = Stated });

        (await NodesAsync($"/api/innovations/{b.InnovationId}/change-log")).Keys.ShouldBe([domino]);

        // Retracted on its own journey, the link closes no cycle for a link recorded on the other.
        await client.RecordAsync(b.InnovationId, back);
        (await NodesAsync($"/api/change-log/{domino}/descendants")).Keys.ShouldBe([domino, a.Events[0].Id], ignoreOrder: true);
    }

    /// <summary>A file of one new journey whose first event follows from the given event.</summary>
    private static ImportBatch OneEventFile(string key, Guid cause)
    {
        var innovation = DeterministicId.For($"event-references/{key}/{Guid.NewGuid()}");
        var need = new NeedIdentified { Need = "follow-on need", OccurredAt = SampleJourney.Year("2018"), Provenance = Stated, CausedBy = [cause], InnovationId = innovation };
        return new ImportBatch("test", [], [new ImportedJourney(innovation, key, key, [new ImportedEvent(DeterministicId.For($"{innovation}/1"), need, $"{key}-1")])], []);
    }
}
