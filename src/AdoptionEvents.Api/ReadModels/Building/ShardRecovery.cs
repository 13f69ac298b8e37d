using System.Threading.Channels;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Npgsql;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Restarts a daemon shard that stopped because another writer moved its progress: the read-model builder, after a
/// bulk import or a rebuild, writes the read models and their marks itself. A shard that had read its old mark before
/// the build committed (it started, or was restarted by the daemon's health check, while the build ran) fails its
/// next batch: the progress update finds another mark (<see cref="ProgressionProgressOutOfOrderException"/>), or, on a
/// database that had no mark yet, its insert finds the builder's row. The batch rolls back whole, so nothing is
/// written twice, but the daemon then stops the shard for good, and the read model would stay where the build left it.
/// Restarted, the shard reads its mark again and goes on from there. Only the shards of the projections the builder
/// writes are restarted, at most <see cref="MaxRestarts"/> times a minute each; other failures are left to the daemon's
/// own handling (the health check reports them).
/// </summary>
public sealed partial class ShardRecovery(IServiceProvider services, TimeProvider clock, ILogger<ShardRecovery> logger) : BackgroundService, IObserver<ShardState>
{
    /// <summary>How long after the failure the shard is started again: the daemon has finished stopping it by then.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);

    /// <summary>At most this many starts per shard in <see cref="Window"/>: a shard that keeps failing so is left stopped, for the health check to report.</summary>
    public const int MaxRestarts = 3;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // The shards of the projections the builder writes, the only ones whose progress it moves.
    private static readonly HashSet<string> Built = [.. ReadModelBuilder.Projections.Select(p => new ShardName(p).Identity)];

    private readonly Channel<string> _stopped = Channel.CreateUnbounded<string>();

    private readonly Dictionary<string, Queue<DateTimeOffset>> _restarts = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>()?.DaemonForMainDatabase() is not { } daemon)
        {
            return;
        }

        using var subscription = daemon.Tracker.Subscribe(this);
        try
        {
            await foreach (var shard in _stopped.Reader.ReadAllAsync(stoppingToken))
            {
                await Task.Delay(Delay, clock, stoppingToken);
                if (!MayRestart(shard, clock.GetUtcNow()))
                {
                    LogGivenUp(logger, shard, MaxRestarts, Window);
                    continue;
                }

                LogRestart(logger, shard);
                try
                {
                    await daemon.StartAgentAsync(shard, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRestartFailed(logger, shard, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public void OnNext(ShardState value)
    {
        if (value.Action is ShardAction.Stopped or ShardAction.Paused && Built.Contains(value.ShardName) && MovedByAnotherWriter(value.Exception))
        {
            _stopped.Writer.TryWrite(value.ShardName);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    private bool MayRestart(string shard, DateTimeOffset now)
    {
        var starts = _restarts.TryGetValue(shard, out var known) ? known : _restarts[shard] = new Queue<DateTimeOffset>();
        while (starts.TryPeek(out var first) && now - first > Window)
        {
            starts.Dequeue();
        }

        if (starts.Count >= MaxRestarts)
        {
            return false;
        }

        starts.Enqueue(now);
        return true;
    }

    /// <summary>The shard's progress was not where it had read it: another writer moved it.</summary>
    public static bool MovedByAnotherWriter(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is ProgressionProgressOutOfOrderException
                || e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, TableName: "mt_event_progression" })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(LogLevel.Warning, "Shard {Shard} stopped because another writer (a read-model build) moved its progress; starting it again from its stored progress")]
    private static partial void LogRestart(ILogger logger, string shard);

    [LoggerMessage(LogLevel.Error, "Shard {Shard} stopped again on moved progress after {Restarts} starts within {Window}; it is left stopped (restart the process or rebuild the projection)")]
    private static partial void LogGivenUp(ILogger logger, string shard, int restarts, TimeSpan window);

    [LoggerMessage(LogLevel.Error, "Shard {Shard} could not be started again after its progress was moved")]
    private static partial void LogRestartFailed(ILogger logger, string shard, Exception e);
}
