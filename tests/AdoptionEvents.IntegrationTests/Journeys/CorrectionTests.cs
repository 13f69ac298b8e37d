using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Importing;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Journeys;

/// <summary>
/// A correction through the API: refused with the changed field named when it would make a fact no recording could, or change what
/// decisions hang on, with nothing appended; accepted, it shows in the daemon's summary and register, the as-of views and the measures,
/// and a later retraction takes back the fact as corrected.
/// </summary>
public class CorrectionTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private sealed record Journey(Guid Innovation, Guid Origin, Guid Site, Guid Live, Guid Trained);

    /// <summary>An innovation live at its origin (2010) and at one other site (2016), where 5 staff were trained.</summary>
    private async Task<Journey> SpreadAsync(string name)
    {
        var client = api.Client;
        var (origin, site) = (await client.RegisterOrganisationAsync($"{name} origin"), await client.RegisterOrganisationAsync($"{name} site"));
        var innovation = (await client.StartAsync(new InnovationRegistered { Name = name, InnovationType = "digital", OriginOrganisationId = origin, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated })).InnovationId;
        async Task<Guid> RecordAsync(JourneyEvent fact) => (await client.RecordAsync(innovation, fact)).Events.Single().Id;
        await RecordAsync(new AdoptionDecided { SiteId = origin, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated });
        await RecordAsync(new ServiceWentLive { SiteId = origin, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated });
        await RecordAsync(new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2014"), Provenance = Stated });
        var trained = await RecordAsync(new StaffTrained { SiteId = site, Count = 5, OccurredAt = SampleJourney.Year("2015"), Provenance = Stated });
        var live = await RecordAsync(new ServiceWentLive { SiteId = site, OccurredAt = SampleJourney.Year("2016"), Provenance = Stated });
        return new Journey(innovation, origin, site, live, trained);
    }

    private static EventCorrected Correction(Guid id, params (string Field, object Value)[] changes) => new()
    {
        CorrectedEventId = id, Changes = SampleJourney.Changes(changes), Reason = "the source says otherwise", OccurredAt = SampleJourney.Year("2024"), Provenance = Stated,
    };

    [Fact]
    public async Task A_correction_that_no_recording_could_make_is_refused_naming_the_changed_field_and_nothing_is_appended()
    {
        var journey = await SpreadAsync("Refused corrections");
        var client = api.Client;
        var version = (await client.HistoryAsync(journey.Innovation)).Events.Count;

        async Task RefusedAsync(EventCorrected correction, HttpStatusCode status, string field, string rule)
        {
            var problem = await ApiClient.ProblemAsync(await client.PostFactAsync(journey.Innovation, ApiClient.Body(correction)), status);
            (problem.GetProperty("field").GetString(), problem.GetProperty("rule").GetString()).ShouldBe((field, rule));
        }

        await RefusedAsync(Correction(journey.Live, ("occurredAt", new { value = "2031", precision = "year" })), HttpStatusCode.BadRequest, "changes.occurredAt", "not-in-future");
        await RefusedAsync(Correction(journey.Live, ("occurredAt", new { value = "2016-13", precision = "month" })), HttpStatusCode.BadRequest, "changes.occurredAt", "partial-date");
        await RefusedAsync(Correction(journey.Trained, ("count", 0)), HttpStatusCode.BadRequest, "changes.count", "positive");
        await RefusedAsync(Correction(journey.Trained, ("count", "five")), HttpStatusCode.BadRequest, "changes.count", "json");
        await RefusedAsync(Correction(journey.Live, ("count", 3)), HttpStatusCode.BadRequest, "changes.count", "known-field");
        await RefusedAsync(Correction(journey.Live, ("siteId", journey.Origin)), HttpStatusCode.BadRequest, "changes.siteId", "immutable");

        var corrected = (await client.RecordAsync(journey.Innovation, Correction(journey.Trained, ("count", 6)))).Events.Single().Id;
        await RefusedAsync(Correction(corrected, ("reason", "typo")), HttpStatusCode.Conflict, "correctedEventId", "correction-stands");
        var retraction = new EventRetracted { RetractedEventId = corrected, Reason = "in error", OccurredAt = SampleJourney.Year("2024"), Provenance = Stated };
        var refused = await ApiClient.ProblemAsync(await client.PostFactAsync(journey.Innovation, ApiClient.Body(retraction)), HttpStatusCode.Conflict);
        (refused.GetProperty("field").GetString(), refused.GetProperty("rule").GetString()).ShouldBe(("retractedEventId", "correction-stands"));
        var registration = (await client.HistoryAsync(journey.Innovation)).Events[0];
        registration.Type.ShouldBe("innovation_registered");
        var unregistered = await ApiClient.ProblemAsync(await client.PostFactAsync(journey.Innovation, ApiClient.Body(retraction with { RetractedEventId = registration.Id })), HttpStatusCode.Conflict);
        (unregistered.GetProperty("field").GetString(), unregistered.GetProperty("rule").GetString()).ShouldBe(("retractedEventId", "registration-stands"));

        // A caller does not say what the register counted: the store works it out.
        var told = Correction(journey.Trained, ("count", 7)) with { SiteFact = new CorrectedSiteFact(journey.Site) { Was = new UndoneSiteFact(journey.Site) { StaffTrained = 5 } } };
        await RefusedAsync(told, HttpStatusCode.BadRequest, "siteFact", "set-by-store");

        (await client.HistoryAsync(journey.Innovation)).Events.Count.ShouldBe(version + 1);
    }

    [Fact]
    public async Task A_corrected_go_live_date_and_staff_count_show_in_every_read_model_and_a_retraction_takes_back_the_fact_as_corrected()
    {
        var journey = await SpreadAsync("Corrected go-live");
        var client = api.Client;
        await client.RecordAsync(journey.Innovation, Correction(journey.Live, ("occurredAt", new { value = "2015-04", precision = "month" })));
        await client.RecordAsync(journey.Innovation, Correction(journey.Trained, ("count", 6)));
        await client.RecordAsync(journey.Innovation, Correction(journey.Trained, ("count", 8), ("role", "nurses")));

        // The store says what the register counted before each correction and counts after it, from the fact as it stood.
        var history = await client.HistoryAsync(journey.Innovation);
        var last = history.Events[^1].Data.GetProperty("siteFact");
        (last.GetProperty("siteId").GetGuid(), last.GetProperty("was").GetProperty("staffTrained").GetInt32(), last.GetProperty("now").GetProperty("staffTrained").GetInt32())
            .ShouldBe((journey.Site, 6, 8));
        (await client.HistoryAsync(journey.Innovation, $"?siteId={journey.Site}")).Events.Count(e => e.Type == "event_corrected").ShouldBe(3);

        await api.CatchUpAsync();
        await using (var session = api.Store.QuerySession())
        {
            var summary = (await session.LoadAsync<InnovationSummary>(journey.Innovation, Ct))!;
            (summary.KeyDates["first_adoption_outside_origin"].Value, summary.KeyDates["early_spread"].Value).ShouldBe(("2015-04", "2015-04"));
            summary.LastNewLiveSite.ShouldBe(new PartialDate { Value = "2015-04", Precision = DatePrecision.Month }.Midpoint);
            (summary.EventCount, summary.LastEvent!.Type).ShouldBe((9, "event_corrected"));
        }

        var entry = await RegisterEntryAsync(journey.Innovation, journey.Site);
        entry.StaffTrained.ShouldBe(8);

        // The event index keeps the corrected go-live (no causes, no domino kind) as corrected; on a database from before, the upgrade
        // rebuilds it at start.
        await api.UpgradeFromOlderAsync<EventIndexUpgrade>("update {schema}.mt_doc_indexedevent set data = data - 'corrected'");
        await using (var session = api.Store.QuerySession())
        {
            var indexed = (await session.LoadAsync<IndexedEvent>(journey.Live, Ct))!;
            (indexed.Corrected, indexed.OccurredAt!.Value).ShouldBe((true, "2015-04"));
        }
        entry.Transitions.Single(t => t.State == SiteState.Live).OccurredAt.Value.ShouldBe("2015-04");

        // The journey's ledger lists each fact's corrections, which reading the fact as it stands looks up; on a database from before,
        // the upgrade builds the ledgers again at start.
        await api.UpgradeFromOlderAsync<JourneyLedgerUpgrade>("update {schema}.mt_doc_journeyledger set data = data - 'corrections'");
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<JourneyLedger>(journey.Innovation, Ct))!.Corrections[journey.Trained].Count.ShouldBe(2);
            (await KnownEvents.FactAsync(session, journey.Trained, Ct)).ShouldBeOfType<StaffTrained>().ShouldSatisfyAllConditions(
                t => t.Count.ShouldBe(8), t => t.Role.ShouldBe("nurses"));
        }

        // As of the end of 2015 the site is live: it went live in April 2015, not in 2016 as first recorded.
        var asOf = (await client.Http.GetFromJsonAsync<AsOfView>($"/api/innovations/{journey.Innovation}/as-of?occurredBy=2015-12-31", ApiClient.JsonOptions, Ct))!;
        asOf.Sites.Single(s => s.SiteId == journey.Site).State.ShouldBe(SiteState.Live);
        asOf.Summary!.KeyDates["early_spread"].Value.ShouldBe("2015-04");
        var measures = await client.Http.GetFromJsonAsync<JsonElement>($"/api/innovations/{journey.Innovation}/measures", ApiClient.JsonOptions, Ct);
        measures.GetProperty("measures").GetProperty("spreadPerQuarter").EnumerateArray().Select(q => q.GetProperty("quarter").GetString()).ShouldBe(["2010-Q3", "2015-Q2"]);

        // Retracting the corrected training takes back what the register counts of it now: 8, not the 5 recorded.
        await client.RecordAsync(journey.Innovation, new EventRetracted { RetractedEventId = journey.Trained, Reason = "another site's", OccurredAt = SampleJourney.Year("2024"), Provenance = Stated });
        (await client.HistoryAsync(journey.Innovation)).Events[^1].Data.GetProperty("siteFact").GetProperty("staffTrained").GetInt32().ShouldBe(8);
        await api.CatchUpAsync();
        (await RegisterEntryAsync(journey.Innovation, journey.Site)).StaffTrained.ShouldBe(0);
    }

    [Fact]
    public async Task A_later_export_imported_again_corrects_a_stored_fact_as_it_stands_and_its_bad_corrections_are_refused()
    {
        var journey = await SpreadAsync("Corrected by import");
        var client = api.Client;
        await client.RecordAsync(journey.Innovation, Correction(journey.Trained, ("count", 6)));
        var first = await client.Http.GetStringAsync($"/api/exports?innovationIds={journey.Innovation}", Ct);
        await client.RecordAsync(journey.Innovation, Correction(journey.Trained, ("count", 7)));
        var later = await client.Http.GetStringAsync($"/api/exports?innovationIds={journey.Innovation}", Ct);

        var empty = new ApiFixture(api.Database);
        await empty.InitializeAsync();
        try
        {
            var importer = empty.Host.Services.GetRequiredService<Importer>();
            async Task<ImportReport> ImportAsync(string file)
            {
                using var content = new MemoryStream(Encoding.UTF8.GetBytes(file));
                return await importer.ImportAsync(ExportFormat.ReadAny(content), new ImportOptions("re-importer"), null, Ct);
            }

            (await ImportAsync(first)).Outcome.ShouldBe(ImportOutcome.Succeeded);

            // The later edition's new correction, dated where no recording could be: refused, naming the changed field.
            var lines = later.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var last = JsonNode.Parse(lines[^1])!;
            last["data"]!["changes"]!["occurredAt"] = JsonNode.Parse("""{"value": "2031", "precision": "year"}""");
            var refused = await ImportAsync(string.Join('\n', [.. lines[..^1], last.ToJsonString()]));
            refused.Outcome.ShouldBe(ImportOutcome.Refused);
            refused.Problems.ShouldHaveSingleItem().ShouldSatisfyAllConditions(p => p.Field.ShouldBe("changes.occurredAt"), p => p.Rule.ShouldBe("not-in-future"));

            // As exported: the new correction is decided on the training as the stored correction left it (6, not the 5 recorded), so what
            // the store works out matches what the file says the register counted.
            var report = await ImportAsync(later);
            report.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", report.Problems));
            report.Journeys.Single().Outcome.ShouldBe(JourneyOutcome.Extended);
            var stored = (await empty.Client.HistoryAsync(journey.Innovation)).Events[^1].Data.GetProperty("siteFact");
            (stored.GetProperty("was").GetProperty("staffTrained").GetInt32(), stored.GetProperty("now").GetProperty("staffTrained").GetInt32()).ShouldBe((6, 7));
            await empty.CatchUpAsync();
            (await empty.Client.Http.GetFromJsonAsync<SiteAdoptionPage>($"/api/innovations/{journey.Innovation}/sites", ApiClient.JsonOptions, Ct))!.Items
                .Single(s => s.SiteId == journey.Site).StaffTrained.ShouldBe(7);
        }
        finally
        {
            await empty.DisposeAsync();
        }
    }

    private async Task<SiteAdoption> RegisterEntryAsync(Guid innovation, Guid site) =>
        (await api.Client.Http.GetFromJsonAsync<SiteAdoptionPage>($"/api/innovations/{innovation}/sites", ApiClient.JsonOptions, Ct))!.Items.Single(s => s.SiteId == site);
}
