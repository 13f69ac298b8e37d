using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.Journeys.Corrections;
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
/// <see cref="WaitBeforeNext"/>). Another node writing the same journey makes the commit fail its optimistic
/// version check: the batch is fetched and decided again.
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

    // One lane per journey written on this node: a queue and a flag, a few hundred bytes, kept for the process's life.
    private readonly ConcurrentDictionary<Guid, Lane> _lanes = new();

    private readonly Histogram<int> _batchSize = meters.Create(Telemetry.ServiceName).CreateHistogram<int>(
        "adoption_events.journey.commit.commands", "{command}", "Commands decided and committed together on one journey");

    private readonly Histogram<double> _duration = meters.Create(Telemetry.ServiceName).CreateHistogram<double>(
        "adoption_events.journey.commit.duration", "ms", "Time to fetch a journey, decide its waiting commands and commit them");

    public Task<CommandOutcome> SubmitAsync(Guid innovationId, PendingCommand command)
    {
        _lanes.GetOrAdd(innovationId, id => new Lane(id, this)).Enqueue(command);
        return command.Completion.Task;
    }

    private Task BeforeNextBatchAsync(bool justCommitted, int waiting) =>
        WaitBeforeNext(justCommitted, waiting, wait.Value) is var pause && pause > TimeSpan.Zero ? Task.Delay(pause, clock) : Task.CompletedTask;

    private async Task CommitAsync(Guid innovationId, List<PendingCommand> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                var outcomes = await DecideAndAppendAsync(innovationId, batch);
                _batchSize.Record(batch.Count);
                _duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.SetResult(outcomes[i]);
                }

                return;
            }
            catch (Exception e) when (attempt < Attempts && e is ConcurrencyException or EventStreamUnexpectedMaxEventIdException or DocumentAlreadyExistsException)
            {
                // Another node appended to the journey, or stored one of the batch's idempotency keys, since the fetch.
                logger.LogInformation("Commit of {Count} commands on journey {InnovationId} raced another writer ({Reason}); deciding again", batch.Count, innovationId, e.GetType().Name);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Commit of {Count} commands on journey {InnovationId} failed", batch.Count, innovationId);
                foreach (var command in batch)
                {
                    command.Completion.TrySetException(e);
                }

                return;
            }
        }
    }

    private async Task<CommandOutcome[]> DecideAndAppendAsync(Guid innovationId, List<PendingCommand> batch)
    {
        await using var session = store.LightweightSession();

        // One round trip: the journey and its version, what its decisions need beside it, the answers to its idempotency keys.
        var read = session.CreateBatchQuery();
        var fetching = read.Events.FetchForWriting<Journey>(innovationId);
        var inPlay = InPlay.Load(read, innovationId, [.. batch.Select(c => (c.Fact, c.Context))]);
        var keys = batch.Select(c => c.Idempotency?.Key).OfType<string>().Distinct().ToArray();
        var loadingAnswers = keys.Length == 0 ? Task.FromResult<IReadOnlyList<IdempotentResponse>>([]) : read.LoadMany<IdempotentResponse>().ById(keys);
        await read.Execute();
        var stream = await fetching;
        var outcomes = new CommandOutcome[batch.Count];
        if (stream.Aggregate is not { } journey)
        {
            Array.Fill(outcomes, new CommandOutcome(Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}")), null));
            return outcomes;
        }

        var state = await inPlay.ApplyAsync(session, journey, CancellationToken.None);
        var version = stream.CurrentVersion ?? 0;
        var answered = (await loadingAnswers).ToDictionary(r => r.Id);
        var now = clock.GetUtcNow();
        var appended = new List<IEvent>();
        // The facts the batch's corrections and retractions read, as they stand now, in the journey's lane: a command's context was read
        // before it queued, and an earlier batch may have corrected one since; then each as the batch's own corrections leave it.
        Dictionary<Guid, JourneyEvent>? amended = null;
        foreach (var target in batch.Where(c => c.Context.FactOf(Amendments.Target(c.Fact)) is not null).Select(c => Amendments.Target(c.Fact)).Distinct())
        {
            if (await KnownEvents.FactAsync(session, target, CancellationToken.None) is { } standing)
            {
                (amended ??= [])[target] = standing;
            }
        }
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
        }

        if (appended.Count > 0)
        {
            stream.AppendMany(appended);
            await session.SaveChangesAsync();
        }

        return outcomes;
    }

    /// <summary>A journey's waiting commands, drained by at most one task at a time.</summary>
    private sealed class Lane(Guid innovationId, JourneyCommitQueue queue)
    {
        private readonly ConcurrentQueue<PendingCommand> _waiting = new();
        private int _draining;

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
                    await queue.CommitAsync(innovationId, batch);
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
