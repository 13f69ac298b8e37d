using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace AdoptionEvents.IntegrationTests.Importing;

public class ImportingTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Importer Importer => api.Host.Services.GetRequiredService<Importer>();

    private ImportJobs Jobs => api.Host.Services.GetRequiredService<ImportJobs>();

    [Fact]
    public async Task The_demo_import_writes_eight_journeys_with_their_provenance_and_a_second_import_adds_nothing()
    {
        var first = await Importer.ImportAsync(DemoData.Batch(), new ImportOptions("tester"), null, Ct);

        first.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", first.Problems));
        first.Journeys.Select(j => (j.Name, j.EventsWritten, j.Outcome)).ShouldBe(
        [
            ("Atrial fibrillation detection & treatment programme (Innovation Agency, NW Coast)", 20, JourneyOutcome.Written),
            ("Emergency Department (ED) Safety Checklist", 29, JourneyOutcome.Written),
            ("ESCAPE-pain", 33, JourneyOutcome.Written),
            ("Florence (Flo) Simple Telehealth", 25, JourneyOutcome.Written),
            ("NEWS across the West of England system - STAND-IN", 14, JourneyOutcome.Written),
            ("PINCER prescribing-safety intervention - STAND-IN", 20, JourneyOutcome.Written),
            ("Scarred Liver Project (Nottingham community liver pathway)", 25, JourneyOutcome.Written),
            ("Super Six diabetes model (Portsmouth) - STAND-IN", 19, JourneyOutcome.Written),
        ]);
        var esc = DeterministicId.For("kings-fund/ESC");
        var history = await api.Client.HistoryAsync(esc, "?limit=1000");
        history.Events.Count.ShouldBe(33);
        history.Events[0].Id.ShouldBe(DeterministicId.For("kings-fund/ESC-01"));
        history.Events[0].Data.GetProperty("provenance").GetProperty("basis").GetString().ShouldBe("stated");
        history.Events[0].Data.GetProperty("provenance").GetProperty("sources")[0].GetProperty("address").GetString()!.ShouldStartWith("https://");
        history.Events.Count(e => e.Data.GetProperty("provenance").GetProperty("basis").GetString() == "illustrative").ShouldBe(2);
        history.Events.ShouldAllBe(e => e.RecordedBy == "tester");
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<Journey>(esc, Ct))!.Name.ShouldBe("ESCAPE-pain");
            (await session.LoadAsync<Organisation>(DeterministicId.Organisation("Powys Teaching Health Board"), Ct))!.Kind.ShouldBe(OrganisationKind.Trust);
        }

        var again = await Importer.ImportAsync(DemoData.Batch(), new ImportOptions("tester"), null, Ct);

        again.Outcome.ShouldBe(ImportOutcome.Succeeded);
        (again.EventsWritten, again.EventsSkipped, again.OrganisationsCreated).ShouldBe((0, 185, 0));
        again.Journeys.ShouldAllBe(j => j.Outcome == JourneyOutcome.Unchanged);
        (await api.Client.HistoryAsync(esc, "?limit=1000")).Events.Count.ShouldBe(33);

        // A later edition of the file with one more event extends the journey, decided against its stored state.
        var refused = await Importer.ImportAsync(Added("""{"id": "ESC-26", "innovation": "ESC", "seq": 26, "type": "SustainmentConfirmed", "occurredAt": "2024", "datePrecision": "year", "summary": "still running", "provenance": "X", "sources": [], "causedBy": ["ESC-24"], "fields": {"site": "Site ESC-X1 (illustrative)"}}"""), new ImportOptions("tester"), null, Ct);
        refused.Outcome.ShouldBe(ImportOutcome.Refused);
        refused.Problems.ShouldHaveSingleItem().ShouldSatisfyAllConditions(p => p.Where.ShouldBe("ESC-26"), p => p.Rule.ShouldBe("site-transition"));
        var extended = await Importer.ImportAsync(Added("""{"id": "ESC-26", "innovation": "ESC", "seq": 26, "type": "AdoptionConsidered", "occurredAt": "2024", "datePrecision": "year", "summary": "reconsidered", "provenance": "X", "sources": [], "causedBy": ["ESC-24"], "fields": {"site": "Powys Teaching Health Board"}}"""), new ImportOptions("tester"), null, Ct);
        extended.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", extended.Problems));
        (extended.EventsWritten, extended.EventsSkipped).ShouldBe((1, 185));
        extended.Journeys.Single(j => j.Key == "kings-fund/ESC").Outcome.ShouldBe(JourneyOutcome.Extended);
        (await api.Client.HistoryAsync(esc, "?limit=1000")).Events[^1].Id.ShouldBe(DeterministicId.For("kings-fund/ESC-26"));

        // Imported events are sealed like recorded ones, the extension chained to the stored journey.
        var verification = await api.Client.Http.GetFromJsonAsync<AdoptionEvents.Journeys.Audit.VerificationReport>($"/api/innovations/{esc}/verification", ApiClient.JsonOptions, Ct);
        (verification!.Intact, verification.EventsChecked).ShouldBe((true, 34), verification.FirstBroken?.ToString());
    }

    [Fact]
    public async Task An_import_job_over_HTTP_answers_202_with_a_status_resource_that_ends_with_the_report()
    {
        var batch = Small(SyntheticNetwork.Generate(seed: 101), journeys: 3);
        var body = await NdjsonAsync(batch);

        var response = await api.Client.Http.PostAsync("/api/imports", new StringContent(body, Encoding.UTF8, "application/x-ndjson"), Ct);

        await ApiClient.ExpectAsync(response, HttpStatusCode.Accepted);
        var location = response.Headers.Location!.ToString();
        location.ShouldStartWith("/api/imports/");
        var id = location["/api/imports/".Length..];
        await Jobs.WaitAsync(Guid.Parse(id));
        var status = await api.Client.Http.GetFromJsonAsync<JsonElement>(location, Ct);
        status.GetProperty("status").GetString().ShouldBe("succeeded", status.ToString());
        status.GetProperty("progress").GetProperty("eventsWritten").GetInt32().ShouldBe(batch.EventCount);
        status.GetProperty("report").GetProperty("journeys").GetArrayLength().ShouldBe(3);
        status.GetProperty("report").GetProperty("journeys")[0].GetProperty("outcome").GetString().ShouldBe("written");
        foreach (var journey in batch.Journeys)
        {
            (await api.Client.HistoryAsync(journey.InnovationId, "?limit=1000")).Events.Select(e => e.Id).ShouldBe(journey.Events.Select(e => e.Id));
        }

        var list = await api.Client.Http.GetFromJsonAsync<JsonElement>("/api/imports", Ct);
        list.EnumerateArray().ShouldContain(j => j.GetProperty("id").GetString() == id);
        (await api.Client.Http.GetAsync($"/api/imports/{Guid.NewGuid()}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_import_stopped_after_its_first_journey_keeps_that_journey_whole_and_importing_the_file_again_writes_the_rest()
    {
        var batch = Small(SyntheticNetwork.Generate(seed: 505), journeys: 3);
        var stop = new StopRequest();

        var report = await Importer.ImportAsync(batch, new ImportOptions("tester", BulkMode.Never, Stop: stop), p =>
        {
            if (p.JourneysDone == 1)
            {
                stop.Request();
            }
        }, Ct);

        report.Outcome.ShouldBe(ImportOutcome.Cancelled, string.Join("; ", report.Problems));
        var first = batch.Journeys[0];
        report.Journeys.Single(j => j.Outcome == JourneyOutcome.Written).InnovationId.ShouldBe(first.InnovationId);
        report.Journeys.Where(j => j.Outcome == JourneyOutcome.NotWritten).Select(j => j.InnovationId).ShouldBe(batch.Journeys.Skip(1).Select(j => j.InnovationId), ignoreOrder: true);
        report.EventsWritten.ShouldBe(first.Events.Count);
        (await api.Client.HistoryAsync(first.InnovationId, "?limit=1000")).Events.Select(e => e.Id).ShouldBe(first.Events.Select(e => e.Id));
        foreach (var rest in batch.Journeys.Skip(1))
        {
            (await api.Client.Http.GetAsync($"/api/innovations/{rest.InnovationId}/events", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        var again = await Importer.ImportAsync(batch, new ImportOptions("tester", BulkMode.Never), null, Ct);

        again.Outcome.ShouldBe(ImportOutcome.Succeeded);
        again.Journeys.Single(j => j.InnovationId == first.InnovationId).Outcome.ShouldBe(JourneyOutcome.Unchanged);
        again.EventsWritten.ShouldBe(batch.EventCount - first.Events.Count);
    }

    [Fact]
    public async Task A_stop_asked_before_the_import_writes_leaves_the_store_as_it_was()
    {
        var batch = Small(SyntheticNetwork.Generate(seed: 506), journeys: 2);
        var stop = new StopRequest();
        stop.Request();
        var before = await CountsAsync();

        var report = await Importer.ImportAsync(batch, new ImportOptions("tester", BulkMode.Always, Stop: stop), null, Ct);

        report.Outcome.ShouldBe(ImportOutcome.Cancelled);
        report.Journeys.ShouldAllBe(j => j.Outcome == JourneyOutcome.NotWritten);
        (report.EventsWritten, report.OrganisationsCreated).ShouldBe((0, 0));
        (await CountsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Cancelling_a_queued_import_over_HTTP_answers_202_and_the_job_ends_cancelled_with_nothing_of_it_written()
    {
        var ahead = Small(SyntheticNetwork.Generate(seed: 507), journeys: 40);
        var queued = Small(SyntheticNetwork.Generate(seed: 508), journeys: 3);
        var first = await api.Client.Http.PostAsync("/api/imports?bulk=never", new StringContent(await NdjsonAsync(ahead), Encoding.UTF8, "application/x-ndjson"), Ct);
        var second = await api.Client.Http.PostAsync("/api/imports", new StringContent(await NdjsonAsync(queued), Encoding.UTF8, "application/x-ndjson"), Ct);
        var secondId = Guid.Parse(second.Headers.Location!.ToString()["/api/imports/".Length..]);

        var cancel = await api.Client.Http.DeleteAsync($"/api/imports/{secondId}", Ct);

        await ApiClient.ExpectAsync(cancel, HttpStatusCode.Accepted);
        cancel.Headers.Location!.ToString().ShouldBe($"/api/imports/{secondId}");
        await Jobs.WaitAsync(secondId);
        var status = await api.Client.Http.GetFromJsonAsync<JsonElement>($"/api/imports/{secondId}", Ct);
        status.GetProperty("status").GetString().ShouldBe("cancelled", status.ToString());
        foreach (var journey in queued.Journeys)
        {
            (await api.Client.Http.GetAsync($"/api/innovations/{journey.InnovationId}/events", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        var firstId = Guid.Parse(first.Headers.Location!.ToString()["/api/imports/".Length..]);
        await Jobs.WaitAsync(firstId);
        (await api.Client.Http.GetFromJsonAsync<JsonElement>($"/api/imports/{firstId}", Ct)).GetProperty("status").GetString().ShouldBe("succeeded");
    }

    [Fact]
    public async Task Cancelling_an_import_that_has_finished_gets_409_and_an_unknown_one_404()
    {
        var batch = Small(SyntheticNetwork.Generate(seed: 509), journeys: 1);
        var started = await api.Client.Http.PostAsync("/api/imports", new StringContent(await NdjsonAsync(batch), Encoding.UTF8, "application/x-ndjson"), Ct);
        var id = Guid.Parse(started.Headers.Location!.ToString()["/api/imports/".Length..]);
        await Jobs.WaitAsync(id);

        var finished = await ApiClient.ProblemAsync(await api.Client.Http.DeleteAsync($"/api/imports/{id}", Ct), HttpStatusCode.Conflict);
        var unknown = await ApiClient.ProblemAsync(await api.Client.Http.DeleteAsync($"/api/imports/{Guid.NewGuid()}", Ct), HttpStatusCode.NotFound);
        var reader = await ApiClient.ProblemAsync(await api.ClientAs(Roles.Reader).Http.DeleteAsync($"/api/imports/{id}", Ct), HttpStatusCode.Forbidden);

        (finished.GetProperty("rule").GetString(), finished.GetProperty("detail").GetString()).ShouldBe(("unfinished-import", $"id: import {id} has finished (succeeded): there is nothing to cancel"));
        (unknown.GetProperty("field").GetString(), unknown.GetProperty("rule").GetString()).ShouldBe(("id", "known-import"));
        reader.GetProperty("detail").GetString().ShouldNotBeNullOrEmpty();
        (await api.Client.Http.GetFromJsonAsync<JsonElement>($"/api/imports/{id}", Ct)).GetProperty("status").GetString().ShouldBe("succeeded");
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "not json at all", "json" },
        { Mutated("ESC-05", e => e["type"] = "NeedInvented"), "known-type" },
        { Mutated("ESC-05", e => e["causedBy"] = new JsonArray("ESC-99")), "known-event" },
        { Mutated("ESC-03", e => e["causedBy"] = new JsonArray("ESC-04")), "earlier-event" },
        { Mutated("ESC-06", e => e["id"] = "ESC-05"), "unique-id" },
        { Mutated("FLO-16", e => e["type"] = "AdoptionResumed"), "site-transition" },
        { Unknown_organisation_line(), "known-organisation" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_file_is_refused_with_its_report_and_the_store_is_unchanged(string content, string rule)
    {
        var before = await CountsAsync();

        var response = await api.Client.Http.PostAsync("/api/imports", new StringContent(content, Encoding.UTF8, "application/json"), Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.Accepted);
        var id = Guid.Parse(response.Headers.Location!.ToString()["/api/imports/".Length..]);
        await Jobs.WaitAsync(id);
        var status = await api.Client.Http.GetFromJsonAsync<JsonElement>($"/api/imports/{id}", Ct);

        status.GetProperty("status").GetString().ShouldBe("refused", status.ToString());
        var problems = status.GetProperty("report").GetProperty("problems").EnumerateArray().ToList();
        problems.ShouldContain(p => p.GetProperty("rule").GetString() == rule, status.ToString());
        problems.ShouldAllBe(p => p.GetProperty("where").GetString()!.Length > 0);
        (await CountsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task The_command_line_path_imports_an_export_file_and_a_second_run_adds_nothing()
    {
        var batch = Small(SyntheticNetwork.Generate(seed: 202), journeys: 2);
        var file = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(file, await NdjsonAsync(batch), Ct);
        try
        {
            await using var stream = File.OpenRead(file);
            var read = ExportFormat.ReadAny(stream);
            (await ImportConsole.RunAsync(api.Host.Services, read, new ImportOptions("cli-user", BulkMode.Never))).ShouldBeTrue();
            (await ImportConsole.RunAsync(api.Host.Services, read, new ImportOptions("cli-user", BulkMode.Never))).ShouldBeTrue();
        }
        finally
        {
            File.Delete(file);
        }

        await using var session = api.Store.QuerySession();
        foreach (var journey in batch.Journeys)
        {
            var events = await session.Events.FetchStreamAsync(journey.InnovationId, token: Ct);
            events.Select(e => e.Id).ShouldBe(journey.Events.Select(e => e.Id));
            events[0].UserName.ShouldBe("cli-user");
            events[0].Headers!["sourceRecordedBy"].ToString().ShouldBe("generator");
        }
    }

    [Fact]
    public async Task The_bulk_path_fills_the_inline_projections_so_the_journeys_take_new_facts_and_a_reimport_adds_nothing()
    {
        var batch = Small(SyntheticNetwork.Generate(seed: 303), journeys: 4);
        string[] written = ["mt_events", "mt_streams", "mt_doc_journey", "mt_doc_sitestatus", "mt_doc_journeyledger", "mt_doc_indexedevent", "mt_doc_organisation", "mt_doc_siteadoption", "mt_doc_innovationsummary"];
        var vacuumsBefore = await VacuumCountsAsync(written);
        var started = DateTimeOffset.UtcNow;

        var report = await Importer.ImportAsync(batch, new ImportOptions("bulk-user", BulkMode.Always), null, Ct);

        report.ShouldSatisfyAllConditions(
            r => r.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", r.Problems)),
            r => r.BulkPath.ShouldBeTrue(),
            r => r.EventsWritten.ShouldBe(batch.EventCount),
            r => r.PhaseSeconds.ShouldContainKey("vacuum"));
        // What the bulk path wrote is vacuumed and analysed by the import itself, as PostgreSQL advises after a bulk load.
        var vacuumsAfter = await VacuumCountsAsync(written);
        written.ShouldAllBe(t => vacuumsAfter[t] > vacuumsBefore[t]);
        await using (var session = api.Store.QuerySession())
        {
            foreach (var journey in batch.Journeys)
            {
                var expected = journey.Events.Aggregate((Journey?)null, (s, e) => Journey.After(s, e.Id, e.Fact))!;
                var snapshot = (await session.LoadAsync<Journey>(journey.InnovationId, Ct))!;
                snapshot.Name.ShouldBe(journey.Name);
                var sites = await session.Query<SiteStatus>().Where(x => x.InnovationId == journey.InnovationId).ToListAsync(Ct);
                sites.Count.ShouldBe(expected.Sites.Count);
                sites.ShouldAllBe(s => expected.Sites[s.SiteId].State == s.State && s.Id == SiteStatus.IdFor(journey.InnovationId, s.SiteId));
                var ledger = await session.LoadAsync<JourneyLedger>(journey.InnovationId, Ct);
                if (journey.Events.Any(e => JourneyLedger.Changes(e.Fact)))
                {
                    JsonSerializer.Serialize(ledger, ApiClient.JsonOptions).ShouldBe(JsonSerializer.Serialize(expected.Ledger with { Id = journey.InnovationId }, ApiClient.JsonOptions));
                }
                else
                {
                    ledger.ShouldBeNull();
                }

                // The index keeps the events found by content; every event still resolves by id.
                (await session.LoadManyAsync<IndexedEvent>(Ct, journey.Events.Select(e => e.Id))).Select(e => e.Id).Order()
                    .ShouldBe(journey.Events.Where(e => IndexedEvent.IsKept(e.Fact)).Select(e => e.Id).Order());
                string Json(IEnumerable<IndexedEvent> documents) => JsonSerializer.Serialize(documents.OrderBy(d => d.Id), ApiClient.JsonOptions);
                Json(await KnownEvents.IndexedAsync(session, [.. journey.Events.Select(e => e.Id)], Ct))
                    .ShouldBe(Json(journey.Events.Select(e => IndexedEvent.Of(e.Id, journey.InnovationId, e.Fact))));
                (await session.Events.FetchStreamStateAsync(journey.InnovationId, Ct))!.Version.ShouldBe(journey.Events.Count);
                var stored = await session.Events.FetchStreamAsync(journey.InnovationId, token: Ct);
                stored.Select(e => e.Id).ShouldBe(journey.Events.Select(e => e.Id));
                stored.Select(e => e.EventTypeName).ShouldBe(journey.Events.Select(e => EventCatalogue.Of(e.Fact).Name));
                stored.ShouldAllBe(e => e.UserName == "bulk-user");
                // Each row as an append writes it: versions 1..n in sequence order, the facts' bodies, the tenant, the CLR type,
                // the import's causation, and a timestamp of the import.
                stored.Select(e => e.Version).ShouldBe(Enumerable.Range(1, journey.Events.Count).Select(v => (long)v));
                stored.Select(e => e.Sequence).ShouldBeInOrder(SortDirection.Ascending);
                JsonSerializer.Serialize(stored.Select(e => e.Data), ApiClient.JsonOptions)
                    .ShouldBe(JsonSerializer.Serialize(journey.Events.Select(e => (object)e.Fact), ApiClient.JsonOptions));
                stored.ShouldAllBe(e => e.TenantId == JasperFx.StorageConstants.DefaultTenantId && e.DotNetTypeName == e.EventType.FullName + ", AdoptionEvents.Api"
                    && e.CausationId == "import" && e.Timestamp >= started.AddMinutes(-1) && e.Timestamp <= DateTimeOffset.UtcNow.AddMinutes(1));
            }

            // The streams carry their aggregate's name, as StartStream writes it.
            var types = await session.QueryAsync<string>($"select coalesce(type, '') from {api.Store.Options.Events.DatabaseSchemaName}.mt_streams where id = any(?)",
                Ct, batch.Journeys.Select(j => j.InnovationId).ToArray());
            types.ShouldAllBe(t => t == "journey");
        }

        // The bulk-written snapshot is what decisions read: a site that went live can be sustained, once.
        var (target, live, state) = batch.Journeys
            .SelectMany(j => j.Events.Aggregate((Journey?)null, (s, e) => Journey.After(s, e.Id, e.Fact))!.Sites.Select(s => (Journey: j, Site: s.Key, State: s.Value.State)))
            .First(x => x.State is SiteState.Live or SiteState.Sustained);
        var fact = state == SiteState.Live
            ? (JourneyEvent)new SustainmentConfirmed { SiteId = live, OccurredAt = SampleJourneyYear("2026"), Provenance = new Provenance { Basis = Basis.Stated } }
            : new AdoptionSuspended { SiteId = live, Reason = "test", OccurredAt = SampleJourneyYear("2026"), Provenance = new Provenance { Basis = Basis.Stated } };
        var recorded = await api.Client.RecordAsync(target.InnovationId, fact);
        recorded.Version.ShouldBe(target.Events.Count + 1);
        var sealedChain = await api.Client.Http.GetFromJsonAsync<AdoptionEvents.Journeys.Audit.VerificationReport>($"/api/innovations/{target.InnovationId}/verification", ApiClient.JsonOptions, Ct);
        sealedChain!.Intact.ShouldBeTrue("the bulk path seals events and the snapshot keeps the last hash for the next append");

        var again = await Importer.ImportAsync(batch, new ImportOptions("bulk-user", BulkMode.Always), null, Ct);
        (again.Outcome, again.EventsWritten, again.EventsSkipped).ShouldBe((ImportOutcome.Succeeded, 0, batch.EventCount));
    }

    /// <summary>How many times each table has been vacuumed by a VACUUM command (not the autovacuum).</summary>
    private async Task<Dictionary<string, long>> VacuumCountsAsync(IEnumerable<string> tables)
    {
        await using var connection = api.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand(
            "select relname, vacuum_count from pg_stat_user_tables where schemaname = $1 and relname = any($2)", connection)
        {
            Parameters = { new() { Value = api.Store.Options.DatabaseSchemaName }, new() { Value = tables.ToArray() } },
        };
        var counts = tables.ToDictionary(t => t, _ => 0L);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static PartialDate SampleJourneyYear(string year) => new() { Value = year, Precision = DatePrecision.Year };

    private async Task<(int Events, int Streams)> CountsAsync()
    {
        await using var session = api.Store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().CountAsync(Ct);
        var streams = await session.Query<Organisation>().CountAsync(Ct) + await session.Query<Journey>().CountAsync(Ct);
        return (events, streams);
    }

    /// <summary>A few of the smallest generated journeys with a site live at the end, and the organisations they need (with their parents).</summary>
    private static ImportBatch Small(ImportBatch batch, int journeys)
    {
        var picked = batch.Journeys.Where(j => j.Events.Any(e => e.Fact is MetricObserved { Metric: "patients_benefiting" })).OrderBy(j => j.Events.Count).ThenBy(j => j.Key, StringComparer.Ordinal).Take(journeys).ToList();
        var byId = batch.Organisations.ToDictionary(o => o.Id);
        var needed = new HashSet<Guid>(picked.SelectMany(j => j.Events).SelectMany(e => e.Fact.ReferencedOrganisations()).Select(r => r.Id));
        var frontier = needed.ToList();
        while (frontier.Count > 0)
        {
            frontier = [.. frontier.SelectMany(id => byId[id].MemberOf).Where(needed.Add)];
        }

        return batch with { Journeys = picked, Organisations = [.. batch.Organisations.Where(o => needed.Contains(o.Id))] };
    }

    private static async Task<string> NdjsonAsync(ImportBatch batch)
    {
        await using var writer = new StringWriter();
        await ExportFormat.WriteAsync(writer, batch, SyntheticNetwork.RecordedAt, "generator", CancellationToken.None);
        return writer.ToString();
    }

    private static string Mutated(string id, Action<JsonObject> change)
    {
        var root = JsonNode.Parse(DemoData.Bytes())!;
        change(root["events"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == id)!.AsObject());
        return root.ToJsonString();
    }

    private static ImportBatch Added(string json)
    {
        var root = JsonNode.Parse(DemoData.Bytes())!;
        root["events"]!.AsArray().Add(JsonNode.Parse(json));
        return ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(root.ToJsonString())));
    }

    private static string Unknown_organisation_line() =>
        JsonSerializer.Serialize(new
        {
            innovationId = Guid.NewGuid(), eventId = Guid.NewGuid(), version = 1, type = "need_identified",
            data = new { need = "a need", organisationId = Guid.NewGuid(), occurredAt = new { value = "2020", precision = "year" }, provenance = new { basis = "stated" } },
        }) + "\n";
}

public sealed class DemoApiFixture(TestDatabase database) : ApiFixture(database)
{
    protected override bool LoadDemoWhenEmpty => true;
}

public class DemoLoadingTests(DemoApiFixture api) : IClassFixture<DemoApiFixture>
{
    [Fact]
    public async Task An_empty_store_gets_the_demo_journeys_after_startup_as_an_import_job()
    {
        await api.Host.Services.GetRequiredService<DemoLoader>().Loaded;
        var jobs = api.Host.Services.GetRequiredService<ImportJobs>();
        var job = jobs.All().ShouldHaveSingleItem();
        job.Source.ShouldStartWith("demo journeys");

        var done = jobs.Find(job.Id)!;
        done.Status.ShouldBe(ImportJobStatus.Succeeded, done.Error ?? string.Join("; ", done.Report?.Problems ?? []));
        done.Report!.Journeys.Count.ShouldBe(8);
        await using var session = api.Store.QuerySession();
        (await session.Query<Journey>().CountAsync(TestContext.Current.CancellationToken)).ShouldBe(8);
        (await session.Events.QueryAllRawEvents().Where(e => e.EventTypeName != "organisation_registered").CountAsync(TestContext.Current.CancellationToken)).ShouldBe(185);
    }
}
