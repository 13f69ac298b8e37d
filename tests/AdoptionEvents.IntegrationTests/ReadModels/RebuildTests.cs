using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.ReadModels.Admin;
using AdoptionEvents.ReadModels.Building;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.ReadModels;

public class RebuildTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> DocumentsAsync()
    {
        await using var session = api.Store.QuerySession();
        async Task<string> Json<T>() where T : notnull =>
            string.Join('\n', (await session.Query<T>().ToListAsync(Ct)).Select(d => JsonSerializer.Serialize(d, ApiClient.JsonOptions)).Order(StringComparer.Ordinal));
        return string.Join("\n--\n", await Json<InnovationSummary>(), await Json<SiteAdoption>(), await Json<ObservedMetric>(),
            await Json<Journey>(), await Json<IndexedEvent>(), await Json<CausalEdge>(), await Json<AdoptionEvents.Journeys.SiteAdoption.SiteStatus>(),
            await Json<JourneyLedger>());
    }

    /// <summary>The version Marten keeps for each event-index document (a Guid: a write must change it).</summary>
    private async Task<Dictionary<Guid, Guid>> IndexVersionsAsync()
    {
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand($"select id, mt_version from {api.Schema}.mt_doc_indexedevent", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var versions = new Dictionary<Guid, Guid>();
        while (await reader.ReadAsync(Ct))
        {
            versions[reader.GetGuid(0)] = reader.GetGuid(1);
        }

        return versions;
    }

    /// <summary>A change log as JSON, its edges in a fixed order (they come in the order the nodes were found).</summary>
    private async Task<string> ChangeLogAsync(string url)
    {
        var view = (await api.Client.Http.GetFromJsonAsync<ChangeLogView>(url, ApiClient.JsonOptions, Ct))!;
        return JsonSerializer.Serialize(view with { Edges = [.. view.Edges.OrderBy(e => e.Cause).ThenBy(e => e.Effect).ThenBy(e => e.Via, StringComparer.Ordinal)] }, ApiClient.JsonOptions);
    }

    /// <summary>Records a sample journey and lets the daemon fold it; returns its sites, the documents and the event index's versions.</summary>
    private async Task<(Guid Site, Guid Other, string Documents, Dictionary<Guid, Guid> Versions)> SampleJourneyFoldedAsync(string name)
    {
        var site = await api.Client.RegisterOrganisationAsync($"{name} Trust");
        var other = await api.Client.RegisterOrganisationAsync($"{name} Practice");
        await api.Client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();
        return (site, other, await DocumentsAsync(), await IndexVersionsAsync());
    }

    /// <summary>
    /// A writer holding the summaries' table as a rebuild locks it, until disposed (closing the connection rolls its
    /// transaction back): a rebuild asked for meanwhile gives way and tries again, so it is still running.
    /// </summary>
    private async Task<NpgsqlConnection> HoldSummaryTableAsync()
    {
        var blocker = new NpgsqlConnection(api.Database.ConnectionString);
        await blocker.OpenAsync(Ct);
        var tx = await blocker.BeginTransactionAsync(Ct);
        await using var hold = new NpgsqlCommand($"lock table {api.Schema}.mt_doc_innovationsummary in share row exclusive mode", blocker, tx);
        await hold.ExecuteNonQueryAsync(Ct);
        return blocker;
    }

    private async Task<RebuildJob> RebuildAsync(string projection)
    {
        var response = await api.Client.Http.PostAsync(projection == ProjectionAdminEndpoints.All ? "/api/admin/projections/rebuild" : $"/api/admin/projections/{projection}/rebuild", null, Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.Accepted);
        var job = (await response.Content.ReadFromJsonAsync<RebuildJob>(ApiClient.JsonOptions, Ct))!;
        await api.Host.Services.GetRequiredService<RebuildJobs>().Work[job.Id];
        return (await api.Client.Http.GetFromJsonAsync<RebuildJob>(response.Headers.Location, ApiClient.JsonOptions, Ct))!;
    }

    [Fact]
    public async Task A_full_rebuild_of_every_projection_reproduces_identical_documents()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Rebuild Trust");
        var other = await client.RegisterOrganisationAsync("Rebuild Practice");
        var (innovation, _) = await client.RecordSampleJourneyAsync(site, other);

        await api.CatchUpAsync();
        var before = await DocumentsAsync();
        before.ShouldContain(innovation.ToString());
        before.ShouldContain("\"openBarriers\"", Case.Sensitive, "the sample journey's ledger should be among the documents");

        // Every projection but the organisation snapshot: the async read models and the inline decision state, ledger, site states and event index.
        var projections = (await api.Client.Http.GetFromJsonAsync<List<ProjectionStatus>>("/api/admin/projections", ApiClient.JsonOptions, Ct))!
            .Select(p => p.Name).Where(name => !name.Contains("Organisation", StringComparison.Ordinal)).ToList();
        projections.Count.ShouldBe(7);
        foreach (var projection in projections)
        {
            var job = await RebuildAsync(projection);
            (job.Status, job.Progress, job.Error).ShouldBe(("completed", 1.0, null), projection);
        }

        (await DocumentsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_cancelled_rebuild_keeps_nothing_it_built_and_the_read_models_go_on_from_their_marks()
    {
        var client = api.Client;
        var (site, other, before, versionsBefore) = await SampleJourneyFoldedAsync("Cancel");
        async Task<string> MarksAsync() => string.Join(", ", (await api.Store.Advanced.AllProjectionProgress(token: Ct))
            .Where(p => p.ShardName != "HighWaterMark").Select(p => $"{p.ShardName} {p.Sequence}").Order(StringComparer.Ordinal));
        var marksBefore = await MarksAsync();

        // A writer holding a table the rebuild locks keeps it waiting for its locks, so it is still running when cancelled.
        HttpResponseMessage started;
        await using (await HoldSummaryTableAsync())
        {
            started = await client.Http.PostAsync("/api/admin/projections/rebuild", null, Ct);
            await ApiClient.ExpectAsync(started, HttpStatusCode.Accepted);
            var cancel = await client.Http.DeleteAsync(started.Headers.Location, Ct);
            await ApiClient.ExpectAsync(cancel, HttpStatusCode.OK);
            var cancelled = (await cancel.Content.ReadFromJsonAsync<RebuildJob>(ApiClient.JsonOptions, Ct))!;
            (cancelled.Status, cancelled.FinishedAt is null).ShouldBe((ProjectionAdminEndpoints.Cancelled, false));
        }

        (await client.Http.GetFromJsonAsync<RebuildJob>(started.Headers.Location, ApiClient.JsonOptions, Ct))!.Status.ShouldBe(ProjectionAdminEndpoints.Cancelled);
        (await DocumentsAsync()).ShouldBe(before);
        (await IndexVersionsAsync()).ShouldBe(versionsBefore, "no document was written anew");
        (await MarksAsync()).ShouldBe(marksBefore);

        // The shards paused for the build run again: a new journey reaches the read models.
        var daemon = api.Host.Services.GetRequiredService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>().DaemonForMainDatabase();
        foreach (var projection in ReadModelBuilder.Projections)
        {
            daemon.StatusFor(new JasperFx.Events.Projections.ShardName(projection).Identity).ToString().ShouldBe("Running", projection);
        }

        var (innovation, _) = await client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();
        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<InnovationSummary>(innovation, Ct)).ShouldNotBeNull();
            (await session.Query<SiteAdoption>().Where(s => s.InnovationId == innovation).CountAsync(Ct)).ShouldBeGreaterThan(0);
        }

        // Cancelling again answers the same; the next rebuild is not held up by the cancelled one. Refused: cancelling
        // a job that completed, and one that never was.
        await ApiClient.ExpectAsync(await client.Http.DeleteAsync(started.Headers.Location, Ct), HttpStatusCode.OK);
        var next = await RebuildAsync(ProjectionAdminEndpoints.All);
        next.Status.ShouldBe("completed");
        var refused = await ApiClient.ProblemAsync(await client.Http.DeleteAsync($"/api/admin/rebuilds/{next.Id}", Ct), HttpStatusCode.Conflict);
        (refused.GetProperty("field").GetString(), refused.GetProperty("rule").GetString()).ShouldBe(("id", "running-rebuild"));
        (await ApiClient.ProblemAsync(await client.Http.DeleteAsync($"/api/admin/rebuilds/{Guid.NewGuid()}", Ct), HttpStatusCode.NotFound)).GetProperty("rule").GetString().ShouldBe("known-rebuild");
        (await client.Http.GetFromJsonAsync<RebuildJob>($"/api/admin/rebuilds/{next.Id}", ApiClient.JsonOptions, Ct))!.Status.ShouldBe("completed");
    }

    [Fact]
    public async Task Every_projection_rebuilt_in_one_pass_reproduces_identical_documents_and_a_second_pass_waits_its_turn()
    {
        var (_, _, before, versionsBefore) = await SampleJourneyFoldedAsync("One Pass");

        // A writer holding a table the rebuild locks keeps the first job running (it gives way and tries again) while the second is asked for.
        HttpResponseMessage first;
        Task work;
        await using (await HoldSummaryTableAsync())
        {
            first = await api.Client.Http.PostAsync("/api/admin/projections/rebuild", null, Ct);
            await ApiClient.ExpectAsync(first, HttpStatusCode.Accepted);
            var started = (await first.Content.ReadFromJsonAsync<RebuildJob>(ApiClient.JsonOptions, Ct))!;
            started.Projection.ShouldBe(ProjectionAdminEndpoints.All);
            work = api.Host.Services.GetRequiredService<RebuildJobs>().Work[started.Id];
            var second = await api.Client.Http.PostAsync("/api/admin/projections/InnovationSummaries/rebuild", null, Ct);
            (await ApiClient.ProblemAsync(second, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("one-rebuild-at-a-time");
            work.IsCompleted.ShouldBeFalse();
        }

        await work;
        var job = (await api.Client.Http.GetFromJsonAsync<RebuildJob>(first.Headers.Location, ApiClient.JsonOptions, Ct))!;
        (job.Status, job.Progress, job.Error).ShouldBe(("completed", 1.0, null));
        job.Target.ShouldBeGreaterThan(0);
        (await DocumentsAsync()).ShouldBe(before);

        // The same documents, written anew: each has a version it did not have before.
        var versionsAfter = await IndexVersionsAsync();
        versionsAfter.Keys.Order().ShouldBe(versionsBefore.Keys.Order());
        versionsAfter.ShouldAllBe(v => v.Value != versionsBefore[v.Key]);
    }

    [Fact]
    public async Task A_rebuild_replaces_an_inline_projections_documents_whole_so_one_no_event_gives_is_gone()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Stray Trust");
        var other = await client.RegisterOrganisationAsync("Stray Practice");
        await client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();
        var before = await DocumentsAsync();

        // A document no event gives, as a bad migration or a hand edit would leave.
        var stray = new IndexedEvent { Id = Guid.NewGuid(), InnovationId = Guid.NewGuid(), Type = "need_identified" };
        await using (var session = api.Store.LightweightSession())
        {
            session.Store(stray);
            await session.SaveChangesAsync(Ct);
        }

        var index = (await api.Client.Http.GetFromJsonAsync<List<ProjectionStatus>>("/api/admin/projections", ApiClient.JsonOptions, Ct))!
            .Single(p => p.Name.Contains("EventIndex", StringComparison.Ordinal)).Name;
        (await RebuildAsync(index)).Status.ShouldBe("completed");

        await using (var session = api.Store.QuerySession())
        {
            (await session.LoadAsync<IndexedEvent>(stray.Id, Ct)).ShouldBeNull();
        }

        (await DocumentsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_full_event_index_from_an_earlier_version_answers_as_before_and_a_rebuild_keeps_only_the_events_found_by_content()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Full Index Trust");
        var other = await client.RegisterOrganisationAsync("Full Index Practice");
        var (innovation, ids) = await client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();
        var before = await DocumentsAsync();
        var log = await ChangeLogAsync($"/api/innovations/{innovation}/change-log");
        var descendants = await ChangeLogAsync($"/api/change-log/{ids["decided"]}/descendants");

        // An earlier version kept a document for every journey event (the corrected ones, kept as corrected now, as this version does).
        IReadOnlyList<IEvent> events;
        HashSet<Guid> corrected;
        await using (var session = api.Store.LightweightSession())
        {
            events = await session.Events.FetchStreamAsync(innovation, token: Ct);
            corrected = [.. events.Select(e => e.Data).OfType<AdoptionEvents.Journeys.Corrections.EventCorrected>().Select(c => c.CorrectedEventId)];
            var plain = events.Where(e => !IndexedEvent.IsKept((JourneyEvent)e.Data) && !corrected.Contains(e.Id)).ToList();
            plain.ShouldNotBeEmpty();
            session.Store(plain.Select(e => IndexedEvent.Of(e.Id, innovation, (JourneyEvent)e.Data)).ToArray());
            await session.SaveChangesAsync(Ct);
        }

        (await ChangeLogAsync($"/api/innovations/{innovation}/change-log")).ShouldBe(log);
        (await ChangeLogAsync($"/api/change-log/{ids["decided"]}/descendants")).ShouldBe(descendants);
        var journeyEvents = events.Select(e => e.Id).ToHashSet();
        (await IndexVersionsAsync()).Keys.Count(journeyEvents.Contains).ShouldBe(events.Count);

        var index = (await api.Client.Http.GetFromJsonAsync<List<ProjectionStatus>>("/api/admin/projections", ApiClient.JsonOptions, Ct))!
            .Single(p => p.Name.Contains("EventIndex", StringComparison.Ordinal)).Name;
        (await RebuildAsync(index)).Status.ShouldBe("completed");

        (await IndexVersionsAsync()).Keys.Where(journeyEvents.Contains).Order()
            .ShouldBe(events.Where(e => IndexedEvent.IsKept((JourneyEvent)e.Data) || corrected.Contains(e.Id)).Select(e => e.Id).Order());
        (await DocumentsAsync()).ShouldBe(before);
        (await ChangeLogAsync($"/api/innovations/{innovation}/change-log")).ShouldBe(log);
        (await ChangeLogAsync($"/api/change-log/{ids["decided"]}/descendants")).ShouldBe(descendants);
    }

    [Fact]
    public async Task The_admin_endpoints_list_projections_and_refuse_what_cannot_be_rebuilt()
    {
        var list = await api.Client.Http.GetFromJsonAsync<List<ProjectionStatus>>("/api/admin/projections", ApiClient.JsonOptions, Ct);
        list!.Select(p => (p.Name, p.Lifecycle)).ShouldContain(("InnovationSummaries", "async"));
        list!.Select(p => p.Lifecycle).ShouldContain("inline");
        list!.ShouldNotContain(p => p.Lifecycle == "subscription", "no broker is configured here, so no relay runs");

        var unknown = await api.Client.Http.PostAsync("/api/admin/projections/Nothing/rebuild", null, Ct);
        (await ApiClient.ProblemAsync(unknown, HttpStatusCode.NotFound)).GetProperty("detail").GetString()!.ShouldContain("InnovationSummaries");

        // The organisation snapshot (inline) is not rebuilt by the builder; the journeys' inline projections are.
        var snapshot = list!.Single(p => p.Lifecycle == "inline" && p.Name.Contains("Organisation", StringComparison.Ordinal)).Name;
        var refused = await api.Client.Http.PostAsync($"/api/admin/projections/{snapshot}/rebuild", null, Ct);
        (await ApiClient.ProblemAsync(refused, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("rebuildable-projection");

        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/admin/rebuilds/{Guid.NewGuid()}", Ct), HttpStatusCode.NotFound);
    }
}

/// <summary>Judges a shard stuck as soon as it stays behind at one position across two samples.</summary>
public sealed class ImpatientApiFixture(TestDatabase database) : ApiFixture(database)
{
    protected override IEnumerable<(string Key, string Value)> Settings => [("Projections:StuckAfterSeconds", "0")];
}

public class ProjectionFailureTests(ImpatientApiFixture api) : IClassFixture<ImpatientApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_event_a_projection_cannot_apply_stops_it_and_marks_health_degraded()
    {
        var client = api.Client;
        var start = await client.StartAsync(new AdoptionEvents.Journeys.Origin.InnovationRegistered
        {
            Name = "Poisoned", InnovationType = "digital", OccurredAt = SampleJourney.Year("2010"),
            Provenance = new AdoptionEvents.Journeys.Provenance { Basis = AdoptionEvents.Journeys.Basis.Stated },
        });
        await api.CatchUpAsync();

        // A row written around the product: its data fits no event schema.
        await api.InsertRawEventAsync(start.InnovationId, "service_went_live", """{"colour": "red"}""");

        // The daemon retries the shard and gets no further: catching up ends with the shards still behind, and says why.
        var stuck = await Should.ThrowAsync<AggregateException>(api.CatchUpAsync());
        stuck.ToString().ShouldContain("Event deserialization error on sequence = 2 for event type service_went_live");
        var lag = api.Host.Services.GetRequiredService<ProjectionLag>();
        await lag.SampleAsync(Ct);

        var (ready, daemon) = await api.Client.ReadinessAsync();
        daemon.GetProperty("status").GetString().ShouldBe("Degraded");
        daemon.GetProperty("description").GetString()!.ShouldContain("InnovationSummaries:All at event 1");
        ready.GetProperty("status").GetString().ShouldBe("Degraded");
        (await api.Client.Http.GetAsync($"/api/innovations/{start.InnovationId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Once every shard has stopped on it, the daemon stops its high-water detection too and no longer counts as
        // running: still the one event it cannot apply, not a daemon that is down.
        var running = api.Host.Services.GetRequiredService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>().DaemonForMainDatabase();
        foreach (var agent in running.CurrentAgents())
        {
            await running.StopAgentAsync(agent.Name.Identity);
        }

        running.IsRunning.ShouldBeFalse("every shard stopped");
        (ready, var state) = await api.Client.ReadinessAsync();
        state.GetProperty("status").GetString().ShouldBe("Degraded");
        state.GetProperty("description").GetString()!.ShouldContain("InnovationSummaries:All at event 1");
        ready.GetProperty("status").GetString().ShouldBe("Degraded");
    }
}

public class RebuildFailureTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rebuild_that_meets_an_event_it_cannot_read_fails_and_says_which()
    {
        var start = await api.Client.StartAsync(new AdoptionEvents.Journeys.Origin.InnovationRegistered
        {
            Name = "Unreadable", InnovationType = "digital", OccurredAt = SampleJourney.Year("2011"),
            Provenance = new AdoptionEvents.Journeys.Provenance { Basis = AdoptionEvents.Journeys.Basis.Stated },
        });
        await api.CatchUpAsync();

        // A row of a type no journey event has, written around the product.
        await api.InsertRawEventAsync(start.InnovationId, "no_such_event", "{}");

        var response = await api.Client.Http.PostAsync("/api/admin/projections/rebuild", null, Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.Accepted);
        var started = (await response.Content.ReadFromJsonAsync<RebuildJob>(ApiClient.JsonOptions, Ct))!;
        await api.Host.Services.GetRequiredService<RebuildJobs>().Work[started.Id];

        var job = (await api.Client.Http.GetFromJsonAsync<RebuildJob>(response.Headers.Location, ApiClient.JsonOptions, Ct))!;
        job.Status.ShouldBe("failed");
        job.Error!.ShouldContain("no_such_event");
    }
}
