using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.SiteAdoption;
using JasperFx.Events;
using JasperFx;
using Marten;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>An Idempotency-Key ("{user}|{key}") and the hash of the request that carried it.</summary>
public sealed record IdempotencyClaim(string Key, string Hash);

/// <summary>One command on a journey, with everything its decision needs from outside the journey already loaded.</summary>
public sealed record PendingCommand(JourneyEvent Fact, DecisionContext Context, AuditStamp Audit, long? ExpectedVersion, IdempotencyClaim? Idempotency)
{
    internal TaskCompletionSource<CommandOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>What became of a command: the answer, and the journey's version to send as its ETag.</summary>
public sealed record CommandOutcome(IResult Result, long? Version);

/// <summary>
/// Group commit. Commands on one journey wait in arrival order; whatever is waiting when the previous commit
/// ends goes into the next one: each command decided in turn against the state the ones before it left,
/// and all accepted events appended in one transaction. A lone command commits at once; under load one
/// round of fetch and commit serves many commands instead of one. A lane that has just committed and finds
/// only a few commands waiting gives the next ones <see cref="GroupCommitWait"/> to join them (see
/// <see cref="WaitBeforeNext"/>). After a commit the lane keeps the state it left for <see cref="KeepFor"/>
/// (<see cref="LaneState"/>), and a batch that reads nothing else is decided from it without a fetch. Another node
/// writing the same journey makes the commit fail its optimistic version check: the batch is fetched and decided again.
/// </summary>
public sealed class JourneyCommitQueue(IDocumentStore store, TimeProvider clock, ILogger<JourneyCommitQueue> logger, IMeterFactory meters, GroupCommitWait wait)
{
    /// <summary>At most this many commands share a transaction, which keeps one commit short.</summary>
    public const int MaxBatch = 128;

    /// <summary>Waiting commands that make a batch worth committing without waiting for more.</summary>
    public const int FullEnough = 8;

    /// <summary>
    /// How long a lane waits before taking its next batch: <paramref name="wait"/> when it has just committed and
    /// fewer than <see cref="FullEnough"/> commands are waiting, else nothing. A command on a quiet journey finds no
    /// commit before it and goes at once; a steady stream (1,000 commands a second on one journey commits about
    /// three at a time otherwise) is committed in fewer, larger batches, each paying the fixed cost of a commit
    /// (fetch, append call, transaction) once for more commands.
    /// </summary>
    public static TimeSpan WaitBeforeNext(bool justCommitted, int waiting, TimeSpan wait) =>
        justCommitted && waiting is > 0 and < FullEnough ? wait : TimeSpan.Zero;

    private const int Attempts = 5;

    // One lane per journey written on this node: a queue and a flag, a few hundred bytes, kept for the process's life (and what its
    // last commit left, for KeepFor after it).
    private readonly ConcurrentDictionary<Guid, Lane> _lanes = new();

    private readonly Histogram<int> _batchSize = meters.Create(Telemetry.ServiceName).CreateHistogram<int>(
        "adoption_events.journey.commit.commands", "{command}", "Commands decided and committed together on one journey, tagged decided_from: kept (from the lane's last commit) or read");

    private readonly Histogram<double> _duration = meters.Create(Telemetry.ServiceName).CreateHistogram<double>(
        "adoption_events.journey.commit.duration", "ms", "Time to fetch a journey (unless kept), decide its waiting commands and commit them, tagged decided_from as the batch size");

    /// <summary>
    /// How long a lane keeps what it knows of its journey after a commit (<see cref="LaneState"/>): a steady stream of commands
    /// decides from it, a journey written now and then reads at each commit, and no lane holds its sites' statuses for long.
    /// </summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(10);

    private long _forgotAt;

    public Task<CommandOutcome> SubmitAsync(Guid innovationId, PendingCommand command)
    {
        var now = clock.GetTimestamp();
        var forgotAt = Volatile.Read(ref _forgotAt);
        if (clock.GetElapsedTime(forgotAt, now) >= KeepFor && Interlocked.CompareExchange(ref _forgotAt, now, forgotAt) == forgotAt)
        {
            foreach (var lane in _lanes.Values)
            {
                lane.Forget(now);
            }
        }

        _lanes.GetOrAdd(innovationId, id => new Lane(id, this, clock)).Enqueue(command);
        return command.Completion.Task;
    }

    private Task BeforeNextBatchAsync(bool justCommitted, int waiting) =>
        WaitBeforeNext(justCommitted, waiting, wait.Value) is var pause && pause > TimeSpan.Zero ? Task.Delay(pause, clock) : Task.CompletedTask;

    private async Task CommitAsync(Lane lane, List<PendingCommand> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                var (outcomes, read) = await DecideAndAppendAsync(lane, batch);
                var decidedFrom = new KeyValuePair<string, object?>("decided_from", read ? "read" : "kept");
                _batchSize.Record(batch.Count, decidedFrom);
                _duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, decidedFrom);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.SetResult(outcomes[i]);
                }

                return;
            }
            catch (Exception e) when (attempt < Attempts && e is ConcurrencyException or EventStreamUnexpectedMaxEventIdException or DocumentAlreadyExistsException)
            {
                // Another node appended to the journey, or stored one of the batch's idempotency keys, since the fetch (or since this lane's last commit).
                logger.LogInformation("Commit of {Count} commands on journey {InnovationId} raced another writer ({Reason}); deciding again", batch.Count, lane.InnovationId, e.GetType().Name);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Commit of {Count} commands on journey {InnovationId} failed", batch.Count, lane.InnovationId);
                foreach (var command in batch)
                {
                    command.Completion.TrySetException(e);
                }

                return;
            }
        }
    }

    /// <summary>
    /// Decides the batch and appends what it accepts. From what the lane kept of its own last commit (<see cref="LaneState"/>) when
    /// that holds everything the batch reads and every command is accepted; otherwise from a fresh read. The lane forgets what it
    /// kept before it commits, so a commit that fails leaves the next batch to read.
    /// </summary>
    private async Task<(CommandOutcome[] Outcomes, bool Read)> DecideAndAppendAsync(Lane lane, List<PendingCommand> batch)
    {
        var commands = batch.Select(c => (c.Fact, c.Context)).ToArray();
        var kept = lane.Take(clock.GetTimestamp());
        if (kept is not null && kept.Decides(batch, commands))
        {
            await using var session = store.LightweightSession();
            // The inline projection evolves the stored journey from the kept one, as from a fetch: Store puts the kept document in the
            // session's identity map, and the write it queued is dropped before the batch queues anything, so the journey is written
            // once, by the projection.
            session.UseIdentityMapFor<Journey>();
            session.Store(kept.Stored);
            session.EjectAllPendingChanges();
            var round = Decide(session, lane.InnovationId, batch, kept.Journey, kept.Version, [], null);
            if (round.Accepted == batch.Count)
            {
                // The append expects the version the lane last committed, so another node's append since fails it and the batch is read again.
                session.Events.Append(lane.InnovationId, round.Version, round.Appended);
                await session.SaveChangesAsync();
                lane.Keep(new LaneState(round.Journey, round.Version), clock.GetTimestamp());
                return (round.Outcomes, false);
            }
        }

        return (await ReadDecideAndAppendAsync(lane, batch, commands, kept), true);
    }

    private async Task<CommandOutcome[]> ReadDecideAndAppendAsync(Lane lane, List<PendingCommand> batch, (JourneyEvent Fact, DecisionContext Context)[] commands, LaneState? kept)
    {
        var innovationId = lane.InnovationId;
        await using var session = store.LightweightSession();

        // One round trip: the journey and its version, what its decisions need beside it, the answers to its idempotency keys.
        var read = session.CreateBatchQuery();
        var fetching = read.Events.FetchForWriting<Journey>(innovationId);
        var inPlay = InPlay.Load(read, innovationId, commands);
        var keys = batch.Select(c => c.Idempotency?.Key).OfType<string>().Distinct().ToArray();
        var loadingAnswers = keys.Length == 0 ? Task.FromResult<IReadOnlyList<IdempotentResponse>>([]) : read.LoadMany<IdempotentResponse>().ById(keys);
        await read.Execute();
        var stream = await fetching;
        if (stream.Aggregate is not { } journey)
        {
            var outcomes = new CommandOutcome[batch.Count];
            Array.Fill(outcomes, new CommandOutcome(Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}")), null));
            return outcomes;
        }

        var state = await inPlay.ApplyAsync(session, journey, CancellationToken.None);
        var version = stream.CurrentVersion ?? 0;
        if (kept is not null && kept.Version == version)
        {
            // Nothing appended since the lane's last commit: the sites it kept stand as they were, beside the ones just read.
            state = state with { Sites = kept.Journey.Sites.SetItems(state.Sites) };
        }

        // The facts the batch's corrections and retractions read, as they stand now, in the journey's lane: a command's context was read
        // before it queued, and an earlier batch may have corrected one since; then each as the batch's own corrections leave it.
        Dictionary<Guid, JourneyEvent>? amended = null;
        foreach (var target in batch.Where(c => c.Context.FactOf(Amendments.Target(c.Fact)) is not null).Select(c => Amendments.Target(c.Fact)).Distinct())
        {
            if (await KnownEvents.FactAsync(session, target, CancellationToken.None, state.Ledger) is { } standing)
            {
                (amended ??= [])[target] = standing;
            }
        }

        var round = Decide(session, innovationId, batch, state, version, (await loadingAnswers).ToDictionary(r => r.Id), amended);
        if (round.Appended.Count > 0)
        {
            stream.AppendMany(round.Appended);
            await session.SaveChangesAsync();
        }

        lane.Keep(new LaneState(round.Journey, round.Version), clock.GetTimestamp());
        return round.Outcomes;
    }

    /// <summary>What deciding a batch came to: each command's outcome, the events to append, the journey and its version after them.</summary>
    private sealed record Round(CommandOutcome[] Outcomes, int Accepted, List<IEvent> Appended, Journey Journey, long Version);

    private Round Decide(IDocumentSession session, Guid innovationId, List<PendingCommand> batch, Journey state, long version,
        Dictionary<string, IdempotentResponse> answered, Dictionary<Guid, JourneyEvent>? amended)
    {
        var now = clock.GetUtcNow();
        var outcomes = new CommandOutcome[batch.Count];
        var appended = new List<IEvent>();
        var accepted = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var command = batch[i];
            if (command.Idempotency is { } claim && answered.TryGetValue(claim.Key, out var earlier))
            {
                outcomes[i] = new CommandOutcome(Idempotency.Replay(earlier, claim.Hash), null);
                continue;
            }

            if (command.ExpectedVersion is { } expected && expected != version)
            {
                outcomes[i] = new CommandOutcome(Problems.For(new Refusal(412, "If-Match", "current-version",
                    $"the journey is at version {version}, not {expected}: read it again, then retry with If-Match: \"{version}\"")), version);
                continue;
            }

            var context = amended is null ? command.Context : command.Context with { Amended = amended };
            var decision = JourneyDecider.Decide(state, command.Fact with { InnovationId = innovationId }, context, now, command.Audit.User);
            if (decision.Refused)
            {
                outcomes[i] = new CommandOutcome(Problems.For(decision.Refusals), null);
                continue;
            }

            CorrectedFact.Remember(ref amended, context, decision.Events[0]);

            var events = JourneyWriter.Wrap(session, decision.Events, innovationId, now, version, state.LastHash, command.Audit);
            var recorded = JourneyWriter.Describe(innovationId, version, events);
            foreach (var e in events)
            {
                state = JourneyProjection.Next(state, e)!;
            }

            version += events.Count;
            appended.AddRange(events);
            if (command.Idempotency is { } key)
            {
                answered[key.Key] = Idempotency.Remember(session, key.Key, key.Hash, 200, recorded, null, Json.Options, now);
            }

            outcomes[i] = new CommandOutcome(Results.Ok(recorded), version);
            accepted++;
        }

        return new Round(outcomes, accepted, appended, state, version);
    }

    /// <summary>
    /// What a lane keeps of its journey after its own commit: the decision state, with every site status it has read or changed, at
    /// the version that commit left. Its next batch is decided from it without a read when <see cref="Decides"/>: a steady stream
    /// of commands on one journey then skips the read before each commit (a round trip to PostgreSQL, and the documents deserialised). The append
    /// expects that version, so whatever another node appended since makes it fail, and the batch is read and decided again; a
    /// refusal is never given from it (a batch with one is read and decided again), so no command is refused on a state another node
    /// has moved on from.
    /// </summary>
    internal sealed record LaneState(Journey Journey, long Version)
    {
        /// <summary>The journey as its document is stored: sites and ledger are kept apart (<see cref="Journey.Sites"/>).</summary>
        public Journey Stored => Journey with { Sites = ImmutableDictionary<Guid, SiteStatus>.Empty, Ledger = JourneyLedger.Empty };

        /// <summary>
        /// Whether the batch can be decided from this state alone: every site it names is kept, and nothing else is read (no ledger, no
        /// stored fact, no earlier answer to an idempotency key, no If-Match to hold against the stored version).
        /// </summary>
        public bool Decides(IEnumerable<PendingCommand> batch, IReadOnlyCollection<(JourneyEvent Fact, DecisionContext Context)> commands) =>
            batch.All(c => c.Idempotency is null && c.ExpectedVersion is null) && InPlay.KnownTo(Journey, commands);
    }

    /// <summary>A journey's waiting commands, drained by at most one task at a time.</summary>
    private sealed class Lane(Guid innovationId, JourneyCommitQueue queue, TimeProvider clock)
    {
        private readonly ConcurrentQueue<PendingCommand> _waiting = new();
        private int _draining;
        private LaneState? _kept;
        private long _keptAt;

        public Guid InnovationId => innovationId;

        /// <summary>What the lane kept of its last commit, if it is recent (<see cref="KeepFor"/>); the lane keeps nothing until it commits again.</summary>
        public LaneState? Take(long now)
        {
            var kept = Interlocked.Exchange(ref _kept, null);
            return kept is not null && clock.GetElapsedTime(Volatile.Read(ref _keptAt), now) < KeepFor ? kept : null;
        }

        public void Keep(LaneState state, long now)
        {
            Volatile.Write(ref _keptAt, now);
            Volatile.Write(ref _kept, state);
        }

        /// <summary>Lets a lane unused for <see cref="KeepFor"/> drop what it kept.</summary>
        public void Forget(long now)
        {
            if (Volatile.Read(ref _kept) is not null && clock.GetElapsedTime(Volatile.Read(ref _keptAt), now) >= KeepFor)
            {
                Interlocked.Exchange(ref _kept, null);
            }
        }

        public void Enqueue(PendingCommand command)
        {
            _waiting.Enqueue(command);
            if (Interlocked.Exchange(ref _draining, 1) == 0)
            {
                _ = Task.Run(DrainAsync);
            }
        }

        private async Task DrainAsync()
        {
            var committed = false;
            while (true)
            {
                await queue.BeforeNextBatchAsync(committed, _waiting.Count);
                var batch = new List<PendingCommand>();
                while (batch.Count < MaxBatch && _waiting.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                if (batch.Count > 0)
                {
                    await queue.CommitAsync(this, batch);
                    committed = true;
                    continue;
                }

                committed = false;

                // A command queued after the last dequeue but before the flag dropped found the lane draining: look again.
                Volatile.Write(ref _draining, 0);
                if (_waiting.IsEmpty || Interlocked.Exchange(ref _draining, 1) == 1)
                {
                    return;
                }
            }
        }
    }
}

/// <summary>
/// <c>Journeys:GroupCommitWait</c>: how long a journey's lane, having just committed, waits for more commands when only
/// a few are waiting (<see cref="JourneyCommitQueue.WaitBeforeNext"/>); zero turns the wait off.
/// </summary>
public sealed record GroupCommitWait(TimeSpan Value)
{
    public const string Setting = "Journeys:GroupCommitWait";

    public static readonly TimeSpan Default = TimeSpan.FromMilliseconds(1);

    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(100);

    public static GroupCommitWait From(IConfiguration configuration) =>
        new(Hosting.TimeSetting.Read(configuration, Setting, Default, TimeSpan.Zero, Longest, "such as 00:00:00.001 (00:00:00: no wait)"));
}
