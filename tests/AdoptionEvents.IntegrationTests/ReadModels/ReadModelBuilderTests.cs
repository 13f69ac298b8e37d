using System.Text.Json;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Measures;
using ReadModelConfiguration = AdoptionEvents.ReadModels.Configuration;
using AdoptionEvents.ReadModels.Admin;
using AdoptionEvents.ReadModels.Building;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.ReadModels;

public class ReadModelBuilderTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> DocumentsAsync()
    {
        await using var session = api.Store.QuerySession();
        async Task<string> Json<T>() where T : notnull =>
            string.Join('\n', (await session.Query<T>().ToListAsync(Ct)).Select(d => JsonSerializer.Serialize(d, ApiClient.JsonOptions)).Order(StringComparer.Ordinal));
        return string.Join("\n--\n", await Json<InnovationSummary>(), await Json<SummarySite>(), await Json<BarrierEntry>(), await Json<SummaryMetric>(), await Json<SiteAdoption>(), await Json<ObservedMetric>(),
            await DuplicatedColumnsAsync());
    }

    /// <summary>
    /// The site register's columns beside the JSON (Marten's duplicated fields), as stored: the builder's COPY must fill
    /// them as Marten's own writes do, or queries by innovation or site miss its rows.
    /// </summary>
    private async Task<string> DuplicatedColumnsAsync()
    {
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            $"select coalesce(string_agg(id || ' ' || coalesce(innovation_id::text, 'null') || ' ' || coalesce(site_id::text, 'null'), E'\\n' order by id), '') " +
            $"from {api.Schema}.mt_doc_siteadoption", connection);
        var columns = (string)(await command.ExecuteScalarAsync(Ct))!;
        columns.ShouldNotContain("null", customMessage: "every site's row has its innovation and site columns");
        return columns;
    }

    private async Task<string> InlineDocumentsAsync(Guid innovation)
    {
        await using var session = api.Store.QuerySession();
        return JsonSerializer.Serialize(await session.LoadAsync<Journey>(innovation, Ct), ApiClient.JsonOptions) + "\n" +
            JsonSerializer.Serialize(await session.LoadAsync<JourneyLedger>(innovation, Ct), ApiClient.JsonOptions);
    }

    private async Task<Dictionary<string, long>> MarksAsync() =>
        (await api.Store.Advanced.AllProjectionProgress(token: Ct)).ToDictionary(p => p.ShardName, p => p.Sequence);

    private async Task<long> NewestEventAsync() => (await api.Store.Storage.Database.FetchEventStoreStatistics(Ct)).EventSequenceNumber;

    /// <summary>The daemon's own rebuild (Marten's replay through the shard), the reference the builder must match.</summary>
    private async Task DaemonRebuildAsync()
    {
        var daemon = ActivatorUtilities.CreateInstance<ReadModelBuilder>(api.Host.Services).LocalDaemon!;
        foreach (var projection in ReadModelBuilder.Projections)
        {
            await daemon.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(5), Ct);
        }

        await api.CatchUpAsync();
    }

    [Fact]
    public async Task A_bulk_import_leaves_the_read_models_the_daemon_builds_from_the_same_events_with_every_mark_at_the_last_event()
    {
        var full = SyntheticNetwork.Generate(seed: 404);
        var journeys = full.Journeys.OrderBy(j => j.Events.Count).ThenBy(j => j.Key, StringComparer.Ordinal).Take(8).ToList();
        var batch = full with { Journeys = journeys };

        var report = await api.Host.Services.GetRequiredService<Importer>().ImportAsync(batch, new ImportOptions("bulk-user", BulkMode.Always), null, Ct);
        (report.Outcome, report.BulkPath).ShouldBe((ImportOutcome.Succeeded, true), string.Join("; ", report.Problems));
        // Only this import's events lie past the marks: the read models are folded from the events as written, not read back.
        report.PhaseSeconds.ShouldContainKey("read models (folded as written)");

        // Before the daemon has had any say: the import folded every event into the read models and says so in the marks.
        var newest = await NewestEventAsync();
        var marks = await MarksAsync();
        foreach (var projection in ReadModelBuilder.Projections)
        {
            marks[new ShardName(projection).Identity].ShouldBe(newest, projection);
        }

        var imported = await DocumentsAsync();
        foreach (var journey in batch.Journeys)
        {
            imported.ShouldContain(journey.InnovationId.ToString());
        }

        await api.CatchUpAsync();
        (await DocumentsAsync()).ShouldBe(imported, "the daemon found nothing left to apply");
        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(imported);
    }

    [Fact]
    public async Task A_bulk_import_stopped_after_its_first_chunk_keeps_that_chunk_whole_with_the_read_models_the_daemon_builds()
    {
        var full = SyntheticNetwork.Generate(seed: 406);
        // Two chunks of the bulk path (a chunk closes at 20,000 events): stopped once the first is written.
        var journeys = new List<ImportedJourney>();
        foreach (var journey in full.Journeys.OrderBy(j => j.Key, StringComparer.Ordinal))
        {
            journeys.Add(journey);
            if (journeys.Sum(j => j.Events.Count) > 21_000)
            {
                break;
            }
        }

        var batch = full with { Journeys = journeys };
        var stop = new StopRequest();

        var report = await api.Host.Services.GetRequiredService<Importer>().ImportAsync(batch, new ImportOptions("bulk-user", BulkMode.Always, Stop: stop), p =>
        {
            if (p.JourneysDone > 0)
            {
                stop.Request();
            }
        }, Ct);

        (report.Outcome, report.BulkPath).ShouldBe((ImportOutcome.Cancelled, true), string.Join("; ", report.Problems));
        var written = report.Journeys.Where(j => j.Outcome == JourneyOutcome.Written).Select(j => j.InnovationId).ToHashSet();
        var notWritten = report.Journeys.Where(j => j.Outcome == JourneyOutcome.NotWritten).Select(j => j.InnovationId).ToHashSet();
        written.ShouldNotBeEmpty();
        notWritten.ShouldNotBeEmpty();
        (written.Count + notWritten.Count).ShouldBe(journeys.Count);
        report.EventsWritten.ShouldBe(journeys.Where(j => written.Contains(j.InnovationId)).Sum(j => j.Events.Count));
        report.EventsWritten.ShouldBeGreaterThanOrEqualTo(20_000);
        await using (var session = api.Store.QuerySession())
        {
            var ids = journeys.Select(x => x.InnovationId).ToArray();
            var absent = notWritten.ToArray();
            var stored = (await session.Query<Journey>().Where(j => j.Id.IsOneOf(ids)).Select(j => j.Id).ToListAsync(Ct)).ToHashSet();
            stored.ShouldBe(written, ignoreOrder: true);
            (await session.Events.QueryAllRawEvents().Where(e => e.StreamId.IsOneOf(absent)).CountAsync(Ct)).ShouldBe(0);
        }

        // The chunk written has its read models, as the daemon folds them from the same events.
        var imported = await DocumentsAsync();
        foreach (var id in written)
        {
            imported.ShouldContain(id.ToString());
        }

        foreach (var id in notWritten)
        {
            imported.ShouldNotContain(id.ToString());
        }

        await api.CatchUpAsync();
        (await DocumentsAsync()).ShouldBe(imported, "the daemon found nothing left to apply");
        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(imported);
    }

    [Fact]
    public async Task A_bulk_import_that_extends_a_folded_journey_beside_new_ones_upserts_the_one_and_inserts_the_others_as_the_daemon_would()
    {
        var full = SyntheticNetwork.Generate(seed: 405);
        var journeys = full.Journeys.OrderBy(j => j.Events.Count).ThenBy(j => j.Key, StringComparer.Ordinal).Take(5).ToList();
        var extended = journeys[^1];
        var firstHalf = extended with { Events = [.. extended.Events.Take(extended.Events.Count / 2)] };
        var importer = api.Host.Services.GetRequiredService<Importer>();
        var first = await importer.ImportAsync(full with { Journeys = [.. journeys.Take(2), firstHalf] }, new ImportOptions("bulk-user", BulkMode.Always), null, Ct);
        first.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", first.Problems));

        // The second import meets one journey every read model has folded (its documents are upserted) and two no read
        // model has met (their documents are written straight into the tables).
        var second = await importer.ImportAsync(full with { Journeys = [.. journeys.Skip(2)] }, new ImportOptions("bulk-user", BulkMode.Always), null, Ct);
        second.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", second.Problems));
        second.Journeys.Single(j => j.InnovationId == extended.InnovationId).Outcome.ShouldBe(JourneyOutcome.Extended);
        second.Journeys.Count(j => j.Outcome == JourneyOutcome.Written).ShouldBe(2);
        // The extended journey's events were appended one journey at a time, not by the bulk COPY: they are read back.
        second.PhaseSeconds.ShouldContainKey("read models");
        second.PhaseSeconds.ShouldNotContainKey("read models (folded as written)");

        var imported = await DocumentsAsync();
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<InnovationSummary>(extended.InnovationId, Ct))!.LastEvent!.Version.ShouldBe(extended.Events.Count);
        }


        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(imported);
    }

    /// <summary>Every index and jsonb column of the store's document tables as PostgreSQL describes them.</summary>
    private async Task<string> DocumentTablesAsync()
    {
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "select string_agg(line, E'\\n' order by line) from (" +
            "select indexdef as line from pg_indexes where schemaname = $1 and tablename like 'mt_doc_%' union all " +
            "select c.relname || '.' || a.attname || ' ' || coalesce(a.attcompression::text, '') || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull " +
            "from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace " +
            "where n.nspname = $1 and c.relname like 'mt_doc_%' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped) lines", connection)
        {
            Parameters = { new() { Value = api.Schema } },
        };
        return (string)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Records a sample journey, lets the daemon fold it, and returns the document tables and documents as they stand.</summary>
    private async Task<(string Tables, string Documents)> SampleJourneyFoldedAsync(string name)
    {
        await api.Client.RecordSampleJourneyAsync(await api.Client.RegisterOrganisationAsync($"{name} Trust"), await api.Client.RegisterOrganisationAsync($"{name} Practice"));
        await api.CatchUpAsync();
        return (await DocumentTablesAsync(), await DocumentsAsync());
    }

    [Fact]
    public async Task A_rebuild_swaps_in_tables_with_the_indexes_columns_and_compression_of_the_ones_it_replaces()
    {
        var (tables, documents) = await SampleJourneyFoldedAsync("Swap");

        var builder = ActivatorUtilities.CreateInstance<ReadModelBuilder>(api.Host.Services);
        await builder.RebuildAsync(builder.All, null, Ct);

        (await DocumentTablesAsync()).ShouldBe(tables);
        tables.ShouldNotContain("_build");
        tables.ShouldContain(" l jsonb", Case.Sensitive, "lz4 (l) kept on the jsonb columns");
        (await DocumentsAsync()).ShouldBe(documents);
        await api.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync(Ct);
    }

    [Fact]
    public async Task A_rebuild_whose_tables_a_reader_holds_to_the_end_copies_its_documents_in_instead_of_swapping()
    {
        var (tables, documents) = await SampleJourneyFoldedAsync("Held");

        // A reader's open transaction keeps its share of the summaries table: the swap's exclusive lock cannot come.
        await using var reader = new NpgsqlConnection(api.Database.ConnectionString);
        await reader.OpenAsync(Ct);
        await using var transaction = await reader.BeginTransactionAsync(Ct);
        await using (var read = new NpgsqlCommand($"select count(*) from {api.Schema}.mt_doc_innovationsummary", reader, transaction))
        {
            ((long)(await read.ExecuteScalarAsync(Ct))!).ShouldBeGreaterThan(0);
        }

        var report = await ProjectionAdminEndpoints.RebuildAsync(ReadModelBuilder.Projections, api.Host.Services, null, Ct);
        await transaction.CommitAsync(Ct);

        report.Documents.Values.Sum().ShouldBeGreaterThan(0);
        (await DocumentsAsync()).ShouldBe(documents);
        (await DocumentTablesAsync()).ShouldBe(tables);
    }

    [Fact]
    public async Task A_rebuild_while_events_are_appended_loses_none_and_applies_none_twice()
    {
        var client = api.Client;
        var innovation = (await client.StartAsync(new AdoptionEvents.Journeys.Origin.InnovationRegistered
        {
            Name = "Raced", InnovationType = "digital", OccurredAt = new PartialDate { Value = "2019", Precision = DatePrecision.Year },
            Provenance = new Provenance { Basis = Basis.Stated },
        })).InnovationId;
        await api.CatchUpAsync();

        // Appends race the rebuild: whichever side of its ceiling each lands, it must reach every read model once.
        var rebuild = ProjectionAdminEndpoints.RebuildAsync(ReadModelBuilder.Projections, api.Host.Services, null, Ct);
        var appended = 0;
        for (var i = 0; i < 20; i++)
        {
            await client.RecordAsync(innovation, new MetricObserved
            {
                Metric = "patients_benefiting", Value = 100 + i, Unit = "patients", Cumulative = true, Definition = "patients seen",
                ReportedBy = "HIN", OccurredAt = new PartialDate { Value = "2020", Precision = DatePrecision.Year }, Provenance = new Provenance { Basis = Basis.Stated },
            });
            appended++;
        }

        var built = await rebuild;
        await api.CatchUpAsync();

        await using (var session = api.Store.QuerySession())
        {
            var state = (await session.Events.FetchStreamStateAsync(innovation, Ct))!;
            var summary = (await session.LoadAsync<InnovationSummary>(innovation, Ct))!;
            summary.EventCount.ShouldBe((int)state.Version);
            summary.LastEvent!.Version.ShouldBe(state.Version);
            (await session.LoadAsync<SummaryMetric>(SummaryMetric.IdFor(innovation, "patients_benefiting"), Ct))!.Observations.Count.ShouldBe(appended);
            var observed = await session.Query<ObservedMetric>().Where(m => m.InnovationId == innovation && m.Metric == "patients_benefiting").ToListAsync(Ct);
            observed.Count.ShouldBe(appended);
        }

        var marks = await MarksAsync();
        foreach (var projection in ReadModelBuilder.Projections)
        {
            marks[new ShardName(projection).Identity].ShouldBeGreaterThanOrEqualTo(built.Ceiling);
        }

        var afterRace = await DocumentsAsync();
        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(afterRace);
    }

    [Fact]
    public async Task A_full_rebuild_past_a_hole_the_high_water_mark_has_not_passed_folds_inline_projections_to_the_newest_event_and_leaves_the_rest_to_the_daemon()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Hole Trust");
        var other = await client.RegisterOrganisationAsync("Hole Practice");
        await api.CatchUpAsync();

        // A hole, then a journey whose facts open ledger entries and reach every read model; the high-water mark still
        // short of the hole, as the daemon leaves it for a while.
        var hole = await api.LeaveAHoleAsync();
        var (innovation, ids) = await client.RecordSampleJourneyAsync(site, other);
        await api.HighWaterMarkAsync(hole - 1);
        var inline = await InlineDocumentsAsync(innovation);

        var builder = ActivatorUtilities.CreateInstance<ReadModelBuilder>(api.Host.Services);
        var report = await ProjectionAdminEndpoints.RebuildAsync(builder.All, api.Host.Services, null, Ct);

        report.Ceiling.ShouldBe(await NewestEventAsync(), "the inline projections are folded to the newest event");
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<JourneyLedger>(innovation, Ct)).ShouldNotBeNull("the ledger of a journey past the hole");
        }

        (await InlineDocumentsAsync(innovation)).ShouldBe(inline, "the journey and its ledger as the appends stored them");

        // The async projections' marks stop short of the hole; the daemon applies the rest once, when it passes it.
        var marks = await MarksAsync();
        foreach (var projection in ReadModelBuilder.Projections)
        {
            marks[new ShardName(projection).Identity].ShouldBeLessThan(report.Ceiling);
        }

        await api.CatchUpAsync();
        await using (var session = api.Store.QuerySession())
        {
            var summary = (await session.LoadAsync<InnovationSummary>(innovation, Ct)).ShouldNotBeNull();
            summary.EventCount.ShouldBe(ids.Count);
        }

        var built = await DocumentsAsync();
        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(built);
    }

    [Fact]
    public async Task A_rebuild_stores_its_ceiling_as_every_mark_and_the_daemon_resumes_from_it()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Mark Trust");
        var other = await client.RegisterOrganisationAsync("Mark Practice");
        await client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();

        var report = await ProjectionAdminEndpoints.RebuildAsync([ReadModelConfiguration.SiteRegister, ReadModelConfiguration.ObservedMetrics], api.Host.Services, null, Ct);

        report.Ceiling.ShouldBe(await NewestEventAsync());
        report.Documents.Keys.ShouldBe([ReadModelConfiguration.SiteRegister, ReadModelConfiguration.ObservedMetrics], ignoreOrder: true);
        var marks = await MarksAsync();
        marks[new ShardName(ReadModelConfiguration.SiteRegister).Identity].ShouldBe(report.Ceiling);
        marks[new ShardName(ReadModelConfiguration.ObservedMetrics).Identity].ShouldBe(report.Ceiling);

        // The shards paused for the build run again: a new event reaches them.
        var (innovation, _) = await client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();
        await using var session = api.Store.QuerySession();
        (await session.Query<SiteAdoption>().Where(s => s.InnovationId == innovation).CountAsync(Ct)).ShouldBeGreaterThan(0);
        (await session.Query<ObservedMetric>().Where(s => s.InnovationId == innovation).CountAsync(Ct)).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task An_import_that_retracts_a_sites_only_change_after_the_read_models_stored_it_removes_its_documents_as_the_daemon_would()
    {
        var provenance = new Provenance { Basis = Basis.Stated };
        var (innovation, site, origin) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        ImportedEvent Event(int n, JourneyEvent fact) => new(DeterministicId.For($"{innovation}/{n}"), fact with { InnovationId = innovation }, $"line {n}");
        List<ImportedEvent> events =
        [
            Event(1, new AdoptionEvents.Journeys.Origin.InnovationRegistered { Name = "Retracted by import", InnovationType = "digital", OriginOrganisationId = origin, OccurredAt = SampleJourneyYear("2010"), Provenance = provenance }),
            Event(2, new AdoptionEvents.Journeys.SiteAdoption.AdoptionDecided { SiteId = origin, Outcome = AdoptionEvents.Journeys.SiteAdoption.AdoptionOutcome.Adopt, OccurredAt = SampleJourneyYear("2010"), Provenance = provenance }),
            Event(3, new AdoptionEvents.Journeys.SiteAdoption.ServiceWentLive { SiteId = origin, OccurredAt = SampleJourneyYear("2011"), Provenance = provenance }),
            Event(4, new AdoptionEvents.Journeys.SiteAdoption.AdopterAware { SiteId = site, OccurredAt = SampleJourneyYear("2012"), Provenance = provenance }),
        ];
        ImportBatch Batch(IReadOnlyList<ImportedEvent> journey) => new("test", [new ImportedOrganisation(origin, "Import origin", AdoptionEvents.Organisations.OrganisationKind.Trust, "org 1"),
            new ImportedOrganisation(site, "Import site", AdoptionEvents.Organisations.OrganisationKind.Trust, "org 2")], [new ImportedJourney(innovation, "retracted-by-import", "Retracted by import", journey)], []);
        var importer = api.Host.Services.GetRequiredService<Importer>();
        (await importer.ImportAsync(Batch(events), new ImportOptions("bulk-user", BulkMode.Always), null, Ct)).Outcome.ShouldBe(ImportOutcome.Succeeded);
        await api.CatchUpAsync();
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<SiteAdoption>(SiteAdoption.IdFor(innovation, site), Ct)).ShouldNotBeNull();
        }

        // The file again, one line longer: the awareness retracted. The import extends the journey and folds it onto the stored documents.
        events.Add(Event(5, new AdoptionEvents.Journeys.Corrections.EventRetracted { RetractedEventId = events[3].Id, Reason = "another site", OccurredAt = SampleJourneyYear("2013"), Provenance = provenance }));
        var second = await importer.ImportAsync(Batch(events), new ImportOptions("bulk-user", BulkMode.Always), null, Ct);
        second.Outcome.ShouldBe(ImportOutcome.Succeeded, string.Join("; ", second.Problems));
        second.Journeys.Single().Outcome.ShouldBe(JourneyOutcome.Extended);

        var imported = await DocumentsAsync();
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<SiteAdoption>(SiteAdoption.IdFor(innovation, site), Ct)).ShouldBeNull();
            (await session.LoadAsync<SummarySite>(SummarySite.IdFor(innovation, site), Ct)).ShouldBeNull();
            var stored = (await session.Events.FetchStreamAsync(innovation, token: Ct))[^1].Data.ShouldBeOfType<AdoptionEvents.Journeys.Corrections.EventRetracted>();
            stored.SiteChange.ShouldBe(new AdoptionEvents.Journeys.Corrections.UndoneSiteChange(site, AdoptionEvents.Journeys.SiteAdoption.SiteState.Aware, null));
        }

        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(imported);
    }

    [Fact]
    public async Task The_site_documents_the_daemon_keeps_in_memory_give_way_to_what_an_import_folded_meanwhile()
    {
        var provenance = new Provenance { Basis = Basis.Stated };
        var (innovation, site, origin) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        AdoptionEvents.Journeys.SiteAdoption.StaffTrained Trained(int count, string year) =>
            new() { SiteId = site, Count = count, Role = "nurses", OccurredAt = SampleJourneyYear(year), Provenance = provenance };
        ImportedEvent Event(int n, JourneyEvent fact) => new(DeterministicId.For($"{innovation}/{n}"), fact with { InnovationId = innovation }, $"line {n}");
        List<ImportedEvent> events =
        [
            Event(1, new AdoptionEvents.Journeys.Origin.InnovationRegistered { Name = "Kept in memory", InnovationType = "digital", OriginOrganisationId = origin, OccurredAt = SampleJourneyYear("2010"), Provenance = provenance }),
            Event(2, new AdoptionEvents.Journeys.SiteAdoption.AdoptionDecided { SiteId = site, Outcome = AdoptionEvents.Journeys.SiteAdoption.AdoptionOutcome.Adopt, OccurredAt = SampleJourneyYear("2011"), Provenance = provenance }),
            Event(3, Trained(3, "2012")),
        ];
        ImportBatch Batch() => new("test", [new ImportedOrganisation(origin, "Cache origin", AdoptionEvents.Organisations.OrganisationKind.Trust, "org 1"),
            new ImportedOrganisation(site, "Cache site", AdoptionEvents.Organisations.OrganisationKind.Trust, "org 2")], [new ImportedJourney(innovation, "kept-in-memory", "Kept in memory", [.. events])], []);
        async Task<int> StaffTrainedAsync()
        {
            await api.CatchUpAsync();
            await using var session = api.Store.QuerySession();
            return (await session.LoadAsync<SiteAdoption>(SiteAdoption.IdFor(innovation, site), Ct))!.StaffTrained;
        }

        var importer = api.Host.Services.GetRequiredService<Importer>();
        (await importer.ImportAsync(Batch(), new ImportOptions("bulk-user", BulkMode.Always), null, Ct)).Outcome.ShouldBe(ImportOutcome.Succeeded);
        (await StaffTrainedAsync()).ShouldBe(3);

        // A command: the daemon reads the site's document, applies the training and keeps the document it stored.
        var recorded = (await api.Client.RecordAsync(innovation, Trained(2, "2013"))).Events.Single();
        (await StaffTrainedAsync()).ShouldBe(5);

        // The journey imported again with that event and one more: the import folds the new one onto the stored document, beside the daemon.
        events.Add(new ImportedEvent(recorded.Id, Trained(2, "2013") with { InnovationId = innovation }, "line 4"));
        events.Add(Event(5, Trained(4, "2014")));
        var extended = await importer.ImportAsync(Batch(), new ImportOptions("bulk-user", BulkMode.Always), null, Ct);
        extended.Journeys.Single().Outcome.ShouldBe(JourneyOutcome.Extended, string.Join("; ", extended.Problems));
        (await StaffTrainedAsync()).ShouldBe(9);

        // The next command reaches the daemon: it goes on from the document the import stored, not from the one it kept.
        await api.Client.RecordAsync(innovation, Trained(1, "2015"));
        (await StaffTrainedAsync()).ShouldBe(10);
        var applied = await DocumentsAsync();
        await DaemonRebuildAsync();
        (await DocumentsAsync()).ShouldBe(applied);
    }

    private static PartialDate SampleJourneyYear(string year) => AdoptionEvents.Tests.SampleJourney.Year(year);
}
