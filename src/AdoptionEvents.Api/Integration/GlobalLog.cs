using AdoptionEvents.Journeys;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Daemon.Coordination;

namespace AdoptionEvents.Integration;

public sealed record GlobalLogPage(IReadOnlyList<CloudEvent> Events, long Next, long HighWaterMark);

/// <summary>
/// The global event log in commit-safe order. Sequence numbers are taken before a transaction commits,
/// so a reader that trusted "the highest sequence so far" could pass a slower transaction's event and
/// never see it. Every reader here stops at Marten's high-water mark instead: the daemon advances it only
/// past sequences that are committed, or whose transaction rolled back.
/// </summary>
public sealed class GlobalLog(IDocumentStore store, IntegrationSettings settings)
{
    private const string HighWaterMarkShard = "HighWaterMark";

    public async Task<long> HighWaterMarkAsync(CancellationToken ct)
    {
        var progress = await store.Advanced.AllProjectionProgress(token: ct);
        return progress.FirstOrDefault(p => p.ShardName == HighWaterMarkShard)?.Sequence ?? 0;
    }

    /// <summary>Journey events after <paramref name="after"/>, oldest first. <c>Next</c> is where to resume: past what was read, including events of other stream types.</summary>
    public async Task<GlobalLogPage> ReadAsync(long after, int limit, IReadOnlyCollection<string> types, CancellationToken ct)
    {
        var high = await HighWaterMarkAsync(ct);
        if (after >= high)
        {
            return new GlobalLogPage([], after, high);
        }

        await using var session = store.QuerySession();
        var names = types.Where(t => !t.EndsWith(".*", StringComparison.Ordinal)).ToArray();
        var query = session.Events.QueryAllRawEvents().Where(e => e.Sequence > after && e.Sequence <= high);
        if (names.Length == types.Count && names.Length > 0)
        {
            query = query.Where(e => names.Contains(e.EventTypeName));
        }

        var events = await query.OrderBy(e => e.Sequence).Take(limit).ToListAsync(ct);
        var cloudEvents = events
            .Select(e => CloudEvents.From(e, settings.Source))
            .OfType<CloudEvent>()
            .Where(c => c.Matches(types))
            .ToList();

        // A full page ends where it ends; a short one means everything up to the mark was read.
        var next = events.Count == limit ? events[^1].Sequence : high;
        return new GlobalLogPage(cloudEvents, next, high);
    }

    public static IReadOnlyList<Refusal> CheckTypes(IReadOnlyCollection<string> types) =>
        [.. types
            .Where(t => EventCatalogue.Find(t) is null
                && !(t.EndsWith(".*", StringComparison.Ordinal) && EventCatalogue.Entries.Any(e => e.Family + ".*" == t)))
            .Select(t => Refusal.BadInput("types", "known-event-type",
                $"'{t}' is neither an event type nor a family pattern such as 'site_adoption.*' (see GET /api/vocabularies)"))];

    /// <summary>"a,b" or repeated values as one list.</summary>
    public static IReadOnlyList<string> SplitTypes(string? types) =>
        string.IsNullOrWhiteSpace(types) ? [] : types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Wakes in-process readers (the live stream, the webhook dispatcher) when the async daemon's high-water mark
/// moves, which is when they can read further (see <see cref="GlobalLog"/>). Pulsed by <see cref="HighWaterSignal"/>.
/// </summary>
public sealed class EventSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes at the next pulse or after <paramref name="atMost"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan atMost, TimeProvider clock, CancellationToken ct)
    {
        try
        {
            await Volatile.Read(ref _next).Task.WaitAsync(atMost, clock, ct);
        }
        catch (TimeoutException)
        {
            // Polling covers what no pulse announced (a node whose daemon is not the active one).
        }
    }
}

/// <summary>
/// Pulses <see cref="EventSignal"/> when the daemon of this node publishes a new high-water mark. It costs nothing per
/// event: no page of events is loaded to learn that there are new ones. Under load the mark moves many times a second,
/// so pulses are at most one per <see cref="Interval"/> (the first at once, then one for whatever moved meanwhile): each
/// wakes a webhook dispatch pass. Where this node runs no daemon (<c>Projections:Daemon</c> None, or the passive node
/// of HotCold) the readers poll.
/// </summary>
public sealed class HighWaterSignal(EventSignal signal, IServiceProvider services, TimeProvider clock) : BackgroundService, IObserver<ShardState>
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly SemaphoreSlim _moved = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = services.GetService<IProjectionCoordinator>()?.DaemonForMainDatabase().Tracker.Subscribe(this);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _moved.WaitAsync(stoppingToken);
                signal.Pulse();
                await Task.Delay(Interval, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public void OnNext(ShardState value)
    {
        if (value.ShardName == ShardState.HighWaterMark && _moved.CurrentCount == 0)
        {
            try
            {
                _moved.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another mark released it first: one pulse covers both.
            }
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public override void Dispose()
    {
        _moved.Dispose();
        base.Dispose();
    }
}
