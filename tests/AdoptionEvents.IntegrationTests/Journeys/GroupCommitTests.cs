using System.Diagnostics.Metrics;
using System.Net;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.Journeys;

/// <summary>Commands waiting on one journey are decided in turn and committed together (JourneyCommitQueue).</summary>
public class GroupCommitTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static readonly AuditStamp Tester = new("group-commit-tester", "correlation-1", "causation-1", new Dictionary<string, object> { ["request"] = "test" });

    private JourneyCommitQueue Queue => api.Host.Services.GetRequiredService<JourneyCommitQueue>();

    private static PendingCommand Command(JourneyEvent fact, Guid site, long? ifMatch = null) =>
        new(fact, new DecisionContext(new Dictionary<Guid, KnownEvent>(), new HashSet<Guid> { site }, new HashSet<Guid>()), Tester, ifMatch, null);

    private static AdoptionDecided Adopt(Guid site) => new() { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated };

    private static ImplementationStarted Implement(Guid site) => new() { SiteId = site, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated };

    private static ServiceWentLive GoLive(Guid site) => new() { SiteId = site, OccurredAt = SampleJourney.Year("2012"), Provenance = Stated };

    private async Task<(Guid InnovationId, Guid Site, Guid Other)> StartAsync()
    {
        var site = await api.Client.RegisterOrganisationAsync("Airedale NHS Foundation Trust");
        var other = await api.Client.RegisterOrganisationAsync("Bradford Teaching Hospitals");
        var start = await api.Client.StartAsync(new InnovationRegistered
        {
            Name = $"Telehealth hub {Guid.NewGuid():N}", InnovationType = "digital", OccurredAt = SampleJourney.Year("2009"), Provenance = Stated,
        });
        return (start.InnovationId, site, other);
    }

    /// <summary>Registers that many GP practices, named "{name} 0" onwards; their ids in order.</summary>
    private async Task<List<Guid>> PracticesAsync(string name, int count)
    {
        var sites = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            sites.Add(await api.Client.RegisterOrganisationAsync($"{name} {i}", OrganisationKind.GpPractice));
        }

        return sites;
    }

    private static Recorded Accepted(CommandOutcome outcome) =>
        outcome.Result.ShouldBeOfType<Ok<Recorded>>().Value!;

    private static int StatusOf(CommandOutcome outcome) => ((IStatusCodeHttpResult)outcome.Result).StatusCode ?? 200;

    private static BarrierEncountered Barrier(Guid site) =>
        new() { Code = "R1", Scope = BarrierScope.Site, SiteId = site, Severity = Severity.Medium, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated };

    private static PendingCommand Resolve(Guid innovation, Guid barrier) => new(
        new BarrierResolved { BarrierEventId = barrier, How = "a clinical champion", OccurredAt = SampleJourney.Year("2012"), Provenance = Stated },
        new DecisionContext(new Dictionary<Guid, KnownEvent> { [barrier] = new(barrier, innovation, "barrier_encountered") }, new HashSet<Guid>(), new HashSet<Guid>()),
        Tester, null, null);

    /// <summary>A row of a document table as PostgreSQL holds it: its JSON, version and last write.</summary>
    private async Task<(string Data, string Version, DateTime Modified)?> RowAsync(string table, Guid id)
    {
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand($"select data::text, mt_version::text, mt_last_modified from {api.Schema}.{table} where id = $1", connection)
        {
            Parameters = { new() { Value = id } },
        };
        await using var reader = await command.ExecuteReaderAsync(Ct);
        return await reader.ReadAsync(Ct) ? (reader.GetString(0), reader.GetString(1), reader.GetDateTime(2)) : null;
    }

    [Fact]
    public async Task Barriers_are_closed_against_the_journeys_ledger_which_a_site_fact_neither_reads_nor_rewrites()
    {
        var (innovation, site, _) = await StartAsync();
        var encountered = await Task.WhenAll(
            Queue.SubmitAsync(innovation, Command(Barrier(site), site)),
            Queue.SubmitAsync(innovation, Command(Barrier(site), site)));
        var (first, second) = (Accepted(encountered[0]).Events[0].Id, Accepted(encountered[1]).Events[0].Id);

        // A later commit reads the ledger the earlier one stored; the second close of the same barrier, in the same batch, sees it closed.
        var closing = await Task.WhenAll(Queue.SubmitAsync(innovation, Resolve(innovation, first)), Queue.SubmitAsync(innovation, Resolve(innovation, first)));
        Accepted(closing[0]);
        StatusOf(closing[1]).ShouldBe(409);
        ((ProblemHttpResult)closing[1].Result).ProblemDetails.Extensions["rule"].ShouldBe("open-barrier");

        var ledger = (await RowAsync("mt_doc_journeyledger", innovation)).ShouldNotBeNull();
        Accepted(await Queue.SubmitAsync(innovation, Command(Adopt(site), site)));

        (await RowAsync("mt_doc_journeyledger", innovation)).ShouldBe(ledger, "a site fact should leave the ledger's row as it was");
        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<JourneyLedger>(innovation, Ct))!.OpenBarriers.ShouldBe([second]);
        var journey = (await RowAsync("mt_doc_journey", innovation)).ShouldNotBeNull().Data;
        journey.ShouldNotContain(second.ToString(), Case.Insensitive, "the journey's document should hold no ledger");
        journey.ShouldNotContain("openBarriers");
    }

    [Fact]
    public async Task A_database_from_before_the_ledgers_gets_them_built_once_at_start()
    {
        var (innovation, site, _) = await StartAsync();

        // A hole just before the fact, which the daemon's high-water mark has not passed (at start it may not have run at all).
        var hole = await api.LeaveAHoleAsync();
        var barrier = Accepted(await Queue.SubmitAsync(innovation, Command(Barrier(site), site))).Events[0].Id;
        var upgrade = ActivatorUtilities.CreateInstance<JourneyLedgerUpgrade>(api.Host.Services);
        (await upgrade.NeededAsync(Ct)).ShouldBeFalse("the ledgers are there");

        // As a database written before the ledgers were documents of their own: the facts, and no ledger.
        await api.ExecuteAsync("delete from {schema}.mt_doc_journeyledger");
        await api.HighWaterMarkAsync(hole - 1);

        (await upgrade.NeededAsync(Ct)).ShouldBeTrue();
        await upgrade.StartAsync(Ct);

        (await upgrade.NeededAsync(Ct)).ShouldBeFalse();
        Accepted(await Queue.SubmitAsync(innovation, Resolve(innovation, barrier)));
        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<JourneyLedger>(innovation, Ct))!.OpenBarriers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Commands_queued_together_are_decided_in_order_each_seeing_the_state_the_one_before_left()
    {
        var (innovation, site, other) = await StartAsync();

        // Submitted without waiting, so they queue behind one another on the journey's lane.
        var outcomes = await Task.WhenAll(
            Queue.SubmitAsync(innovation, Command(Adopt(site), site)),
            Queue.SubmitAsync(innovation, Command(Implement(site), site)),
            Queue.SubmitAsync(innovation, Command(GoLive(other), other)),
            Queue.SubmitAsync(innovation, Command(GoLive(site), site)));

        Accepted(outcomes[0]).Version.ShouldBe(2);
        Accepted(outcomes[1]).Version.ShouldBe(3);
        StatusOf(outcomes[2]).ShouldBe(409, "the other site never decided to adopt");
        Accepted(outcomes[3]).Version.ShouldBe(4);
        (outcomes[0].Version, outcomes[1].Version, outcomes[3].Version).ShouldBe((2, 3, 4));

        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<SiteStatus>(SiteStatus.IdFor(innovation, site), Ct))!.State.ShouldBe(SiteState.Live);
        (await session.LoadAsync<SiteStatus>(SiteStatus.IdFor(innovation, other), Ct)).ShouldBeNull();
        var events = await session.Events.FetchStreamAsync(innovation, token: Ct);
        events.Select(e => e.Version).ShouldBe([1, 2, 3, 4]);
        events.Skip(1).ShouldAllBe(e => e.UserName == Tester.User && e.CorrelationId == Tester.CorrelationId && e.CausationId == Tester.CausationId);
        (await Verification.VerifyAsync(session, [innovation], Ct)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task A_correction_decided_after_another_of_the_same_fact_in_one_commit_starts_from_the_fact_as_that_one_left_it()
    {
        var (innovation, site, other) = await StartAsync();
        Accepted(await Queue.SubmitAsync(innovation, Command(Adopt(site), site)));
        var trained = Accepted(await Queue.SubmitAsync(innovation, Command(new StaffTrained { SiteId = site, Count = 5, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated }, site))).Events[0].Id;
        var stored = await api.Client.HistoryAsync(innovation);

        // Both corrections were read before either was decided: each context holds the training as recorded (5).
        PendingCommand Correct(int count)
        {
            var fact = new StaffTrained { InnovationId = innovation, SiteId = site, Count = 5, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated };
            var known = new Dictionary<Guid, KnownEvent> { [trained] = new KnownEvent(trained, innovation, "staff_trained", site) { Fact = fact } };
            return new(new EventCorrected
            {
                CorrectedEventId = trained, Changes = SampleJourney.Changes(("count", count)), Reason = "the register", OccurredAt = SampleJourney.Year("2024"), Provenance = Stated,
            }, new DecisionContext(known, new HashSet<Guid> { site }, new HashSet<Guid>()), Tester, null, null);
        }

        // Queued behind a command that keeps the lane busy, so the two are decided in one batch.
        var outcomes = await Task.WhenAll(Queue.SubmitAsync(innovation, Command(Adopt(other), other)), Queue.SubmitAsync(innovation, Correct(6)), Queue.SubmitAsync(innovation, Correct(8)));
        outcomes.ShouldAllBe(o => StatusOf(o) == 200);

        var corrections = (await api.Client.HistoryAsync(innovation)).Events.Skip(stored.Events.Count).Where(e => e.Type == "event_corrected").ToList();
        corrections.Select(c => (c.Data.GetProperty("siteFact").GetProperty("was").GetProperty("staffTrained").GetInt32(), c.Data.GetProperty("siteFact").GetProperty("now").GetProperty("staffTrained").GetInt32()))
            .ShouldBe([(5, 6), (6, 8)]);
        await api.CatchUpAsync();
        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<SiteAdoption>(SiteAdoption.IdFor(innovation, site), Ct))!.StaffTrained.ShouldBe(8);
    }

    [Fact]
    public async Task A_lane_that_has_just_committed_waits_for_more_commands_and_commits_them_together()
    {
        var (innovation, _, _) = await StartAsync();
        var sites = await PracticesAsync("Wait practice", 4);

        // A queue whose commits are counted, with a wait long enough that a command sent after the first commit ends is sure to
        // arrive within it.
        using var queue = new CountedQueue(api.Store, TimeProvider.System, new GroupCommitWait(TimeSpan.FromSeconds(1)));

        // The journey's stream row is held by another transaction, so the first commit waits inside PostgreSQL while two
        // more commands queue behind it.
        await using var holder = new NpgsqlConnection(api.Database.ConnectionString);
        await holder.OpenAsync(Ct);
        var hold = await holder.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand($"select 1 from {api.Schema}.mt_streams where id = $1 for update", holder, hold) { Parameters = { new() { Value = innovation } } })
        {
            await lockRow.ExecuteScalarAsync(Ct);
        }

        var first = queue.SubmitAsync(innovation, Command(Adopt(sites[0]), sites[0]));
        await using (var blocked = new NpgsqlCommand("select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))", holder) { Parameters = { new() { Value = holder.ProcessID } } })
        {
            while ((long)(await blocked.ExecuteScalarAsync(Ct))! == 0)
            {
                await Task.Delay(10, Ct);
            }
        }

        var queued = new[] { queue.SubmitAsync(innovation, Command(Adopt(sites[1]), sites[1])), queue.SubmitAsync(innovation, Command(Adopt(sites[2]), sites[2])) };
        await hold.RollbackAsync(Ct);
        Accepted(await first).Version.ShouldBe(2);

        // Two commands wait, fewer than make a full batch: the lane waits, and one sent now joins them.
        var late = queue.SubmitAsync(innovation, Command(Adopt(sites[3]), sites[3]));
        var outcomes = await Task.WhenAll([.. queued, late]);

        outcomes.Select(o => Accepted(o).Version).ShouldBe([3, 4, 5]);
        queue.Commits.Select(c => c.Commands).ShouldBe([1, 3]);
    }

    [Fact]
    public async Task Two_commands_carrying_the_same_If_Match_get_one_success_and_one_412()
    {
        var (innovation, site, other) = await StartAsync();

        var outcomes = await Task.WhenAll(
            Queue.SubmitAsync(innovation, Command(Adopt(site), site, ifMatch: 1)),
            Queue.SubmitAsync(innovation, Command(Adopt(other), other, ifMatch: 1)));

        Accepted(outcomes[0]).Version.ShouldBe(2);
        StatusOf(outcomes[1]).ShouldBe(412);
        outcomes[1].Version.ShouldBe(2, "the 412 carries the version the client should read");
        await using var session = api.Store.QuerySession();
        (await session.Events.FetchStreamStateAsync(innovation, Ct))!.Version.ShouldBe(2);
    }

    [Fact]
    public async Task Concurrent_retries_with_one_Idempotency_Key_append_once_and_all_get_the_first_answer()
    {
        var (innovation, site, _) = await StartAsync();
        var body = System.Text.Json.JsonSerializer.Serialize<JourneyEvent>(Adopt(site), ApiClient.JsonOptions);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            api.Client.PostFactAsync(innovation, ApiClient.Body(body), ("Idempotency-Key", "adopt-airedale"))));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var answers = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync(Ct)));
        answers.Distinct().Count().ShouldBe(1, "every retry gets the first answer, event ids included");
        responses.Count(r => r.Headers.Contains("Idempotent-Replayed")).ShouldBe(7);
        await using var session = api.Store.QuerySession();
        (await session.Events.FetchStreamStateAsync(innovation, Ct))!.Version.ShouldBe(2);
    }

    [Fact]
    public async Task Two_nodes_writing_one_journey_race_on_its_version_and_lose_nothing()
    {
        var (innovation, _, _) = await StartAsync();
        var sites = await PracticesAsync("Practice", 16);

        // A second queue over the same store plays another node: neither knows what the other is about to append.
        var otherNode = new JourneyCommitQueue(api.Store, TimeProvider.System, NullLogger<JourneyCommitQueue>.Instance, api.Host.Services.GetRequiredService<IMeterFactory>(), new GroupCommitWait(GroupCommitWait.Default));
        var outcomes = await Task.WhenAll(sites.Select((site, i) => (i % 2 == 0 ? Queue : otherNode).SubmitAsync(innovation, Command(Adopt(site), site))));

        outcomes.Select(o => Accepted(o).Version).Order().ShouldBe(Enumerable.Range(2, sites.Count).Select(v => (long)v));
        await using var session = api.Store.QuerySession();
        var stored = await session.LoadManyAsync<SiteStatus>(Ct, sites.Select(s => SiteStatus.IdFor(innovation, s)));
        stored.Count.ShouldBe(sites.Count);
        stored.ShouldAllBe(s => s.State == SiteState.Adopting);
        (await Verification.VerifyAsync(session, [innovation], Ct)).Intact.ShouldBeTrue("each retry seals after the other node's last hash");
    }

    [Fact]
    public async Task A_lane_decides_from_what_its_last_commit_left_and_reads_again_when_another_node_has_written()
    {
        var (innovation, site, other) = await StartAsync();
        using var lane = new CountedQueue(api.Store, TimeProvider.System, new GroupCommitWait(TimeSpan.Zero));
        var otherNode = new JourneyCommitQueue(api.Store, TimeProvider.System, NullLogger<JourneyCommitQueue>.Instance, api.Host.Services.GetRequiredService<IMeterFactory>(), new GroupCommitWait(TimeSpan.Zero));

        Accepted(await lane.SubmitAsync(innovation, Command(Adopt(site), site))).Version.ShouldBe(2);
        Accepted(await lane.SubmitAsync(innovation, Command(Implement(site), site))).Version.ShouldBe(3);

        // Another node takes the site live. This lane still holds it as implementing, at version 3.
        Accepted(await otherNode.SubmitAsync(innovation, Command(GoLive(site), site))).Version.ShouldBe(4);

        // Refused from what the lane kept (a discontinuation needs a live site), so read and decided again: accepted.
        var discontinued = new AdoptionDiscontinued { SiteId = site, Reason = "service merged", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated };
        Accepted(await lane.SubmitAsync(innovation, Command(discontinued, site))).Version.ShouldBe(5);

        Accepted(await lane.SubmitAsync(innovation, Command(Adopt(other), other))).Version.ShouldBe(6);
        Accepted(await otherNode.SubmitAsync(innovation, Command(Implement(other), other))).Version.ShouldBe(7);

        // Accepted from what the lane kept (staff are trained at an adopting site as at an implementing one), but the append expects
        // version 6 and fails: read and decided again, and sealed after the other node's event.
        StaffTrained Trained(Guid at) => new() { SiteId = at, Count = 4, OccurredAt = SampleJourney.Year("2014"), Provenance = Stated };
        Accepted(await lane.SubmitAsync(innovation, Command(Trained(other), other))).Version.ShouldBe(8);
        Accepted(await lane.SubmitAsync(innovation, Command(Trained(other), other))).Version.ShouldBe(9);

        // A refusal is given only from what was read: refused from what the lane kept, read, and refused again.
        StatusOf(await lane.SubmitAsync(innovation, Command(Trained(site), site))).ShouldBe(409);

        lane.Commits.Select(c => c.DecidedFrom).ShouldBe(["read", "kept", "read", "read", "read", "kept", "read"]);

        // The other node reads the journey document that commits decided from what this lane kept have left, and seals after it.
        Accepted(await otherNode.SubmitAsync(innovation, Command(Trained(other), other))).Version.ShouldBe(10);

        await using var session = api.Store.QuerySession();
        var stored = await session.LoadManyAsync<SiteStatus>(Ct, SiteStatus.IdFor(innovation, site), SiteStatus.IdFor(innovation, other));
        stored.Select(s => (s.SiteId, s.State)).ShouldBe([(site, SiteState.Discontinued), (other, SiteState.Implementing)], ignoreOrder: true);
        (await session.Events.FetchStreamStateAsync(innovation, Ct))!.Version.ShouldBe(10);
        (await session.LoadAsync<Journey>(innovation, Ct)).ShouldBeEquivalentTo(JourneyProjection.Stored(await session.Events.FetchStreamAsync(innovation, token: Ct)));
        (await Verification.VerifyAsync(session, [innovation], Ct)).Intact.ShouldBeTrue("a commit decided from what the lane kept seals after its last hash");
    }

    [Fact]
    public async Task A_commit_decided_from_what_the_lane_kept_writes_the_journey_document_once()
    {
        var (innovation, site, _) = await StartAsync();
        using var lane = new CountedQueue(api.Store, TimeProvider.System, new GroupCommitWait(TimeSpan.Zero));
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(Ct);
        }

        // Every write of a journey document (an insert, or an upsert's update) counted by a trigger, for the duration of the test.
        var (schema, writes) = (api.Schema, $"{api.Schema}.journey_writes");
        await ExecuteAsync($"create table {writes} (id uuid not null)");
        await ExecuteAsync($"create function {schema}.count_journey_write() returns trigger language plpgsql as $$ begin insert into {writes} values (new.id); return new; end $$");
        await ExecuteAsync($"create trigger count_journey_write after insert or update on {schema}.mt_doc_journey for each row execute function {schema}.count_journey_write()");
        try
        {
            Accepted(await lane.SubmitAsync(innovation, Command(Adopt(site), site))).Version.ShouldBe(2);
            Accepted(await lane.SubmitAsync(innovation, Command(Implement(site), site))).Version.ShouldBe(3);
            Accepted(await lane.SubmitAsync(innovation, Command(GoLive(site), site))).Version.ShouldBe(4);

            lane.Commits.Select(c => c.DecidedFrom).ShouldBe(["read", "kept", "kept"]);
            await using var count = new NpgsqlCommand($"select count(*) from {writes} where id = $1", connection) { Parameters = { new() { Value = innovation } } };
            ((long)(await count.ExecuteScalarAsync(Ct))!).ShouldBe(3, "one write of the journey per commit");
        }
        finally
        {
            await ExecuteAsync($"drop trigger count_journey_write on {schema}.mt_doc_journey; drop function {schema}.count_journey_write(); drop table {writes}");
        }

        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<Journey>(innovation, Ct)).ShouldBeEquivalentTo(JourneyProjection.Stored(await session.Events.FetchStreamAsync(innovation, token: Ct)));
    }

    [Fact]
    public async Task A_lane_unused_for_longer_than_it_keeps_its_state_reads_again()
    {
        var (innovation, site, _) = await StartAsync();
        var clock = new SteppedClock();
        using var lane = new CountedQueue(api.Store, clock, new GroupCommitWait(TimeSpan.Zero));

        await lane.SubmitAsync(innovation, Command(Adopt(site), site));
        clock.Ahead = JourneyCommitQueue.KeepFor - TimeSpan.FromSeconds(1);
        await lane.SubmitAsync(innovation, Command(Implement(site), site));
        clock.Ahead += JourneyCommitQueue.KeepFor;
        Accepted(await lane.SubmitAsync(innovation, Command(GoLive(site), site))).Version.ShouldBe(4);

        lane.Commits.Select(c => c.DecidedFrom).ShouldBe(["read", "kept", "read"]);
    }

    /// <summary>
    /// A queue of its own, as another node's would be, with a meter factory of its own so that only its commits are counted: each
    /// commit's batch size and whether it was decided from what the lane kept or from a read.
    /// </summary>
    private sealed class CountedQueue : IDisposable
    {
        private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly MeterListener _listener = new();
        private readonly List<(int Commands, string DecidedFrom)> _commits = [];
        private readonly JourneyCommitQueue _queue;

        public CountedQueue(IDocumentStore store, TimeProvider clock, GroupCommitWait wait)
        {
            var meters = _metrics.GetRequiredService<IMeterFactory>();
            _queue = new JourneyCommitQueue(store, clock, NullLogger<JourneyCommitQueue>.Instance, meters, wait);
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "adoption_events.journey.commit.commands")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, size, tags, _) =>
            {
                lock (_commits)
                {
                    _commits.Add((size, (string)tags[0].Value!));
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<(int Commands, string DecidedFrom)> Commits
        {
            get
            {
                lock (_commits)
                {
                    return [.. _commits];
                }
            }
        }

        public Task<CommandOutcome> SubmitAsync(Guid innovationId, PendingCommand command) => _queue.SubmitAsync(innovationId, command);

        public void Dispose()
        {
            _listener.Dispose();
            _metrics.Dispose();
        }
    }

    /// <summary>The system clock, with its timestamps moved ahead at will.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override long GetTimestamp() => base.GetTimestamp() + (long)(Ahead.TotalSeconds * TimestampFrequency);
    }

    [Fact]
    public async Task The_journey_document_holds_no_site_states_which_live_in_a_document_per_site()
    {
        var (innovation, site, other) = await StartAsync();
        await api.Client.RecordAsync(innovation, Adopt(site));
        await api.Client.RecordAsync(innovation, Adopt(other));
        await api.Client.RecordAsync(innovation, GoLive(site));

        await using var session = api.Store.QuerySession();
        var json = await session.Json.FindByIdAsync<Journey>(innovation, Ct);
        json.ShouldNotBeNull();
        json.ShouldNotContain("sites", Case.Insensitive);
        var statuses = await session.LoadManyAsync<SiteStatus>(Ct, SiteStatus.IdFor(innovation, site), SiteStatus.IdFor(innovation, other));
        statuses.Select(s => (s.SiteId, s.State)).ShouldBe([(site, SiteState.Live), (other, SiteState.Adopting)], ignoreOrder: true);
    }
}
