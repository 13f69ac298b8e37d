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
/// Restarted, the shard reads its mark again and goes on from there. Other failures are left to the daemon's own
/// handling (the health check reports them).
/// </summary>
public sealed partial class ShardRecovery(IServiceProvider services, TimeProvider clock, ILogger<ShardRecovery> logger) : BackgroundService, IObserver<ShardState>
{
    /// <summary>How long after the failure the shard is started again: the daemon has finished stopping it by then.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);

    private readonly Channel<string> _stopped = Channel.CreateUnbounded<string>();

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
        if (value.ShardName != ShardState.HighWaterMark && value.Action is ShardAction.Stopped or ShardAction.Paused && MovedByAnotherWriter(value.Exception))
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

    [LoggerMessage(LogLevel.Error, "Shard {Shard} could not be started again after its progress was moved")]
    private static partial void LogRestartFailed(ILogger logger, string shard, Exception e);
}
