using JasperFx.Events.Daemon.HighWater;
using Marten;
using Marten.Events.Daemon.HighWater;
using Marten.Storage;

namespace AdoptionEvents.Integration;

/// <summary>
/// How the async daemon hears of new events (<c>Integration:WakeDaemonOnAppend</c>): every commit that appends
/// NOTIFYs (<see cref="AppendNotice"/>), and the daemon's high-water agent, between its looks for new events, is
/// woken by that (Marten's LISTEN wake-up) but looks at most once per <c>Integration:WakeSpacing</c>.
/// A commit after a quiet spell is seen at once; under a stream of commits each look finds many, so each
/// projection's page holds them together instead of a few events each (Marten's own setting wakes the agent on
/// every commit: under the command benchmark it looked about 60 times a second, and every projection read and
/// wrote its documents for pages of about 18 events).
/// </summary>
public static class DaemonWakeup
{
    public static void Configure(IServiceProvider services, StoreOptions options, IntegrationSettings settings)
    {
        if (!settings.WakeDaemonOnAppend)
        {
            return;
        }

        options.Listeners.Add(new AppendNotice());
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaemonWakeup));

        // The store's data source exists once the store does, before its daemon first waits.
        options.Projections.Wakeup = new SpacedWakeup(
            () => services.GetRequiredService<IDocumentStore>().Storage.Database is MartenDatabase database
                ? new PostgresqlListenWakeup(database.DataSource, logger)
                : new TaskDelayDaemonWakeup(),
            settings.WakeSpacing, TimeProvider.System);
    }

    /// <summary>Marten's NOTIFY on appends, as its <c>UseListenNotifyForEventAppends</c> sends it (which would also replace the wake-up with its own).</summary>
    private sealed class AppendNotice : DocumentSessionListenerBase
    {
        private const string Notify = $"select pg_notify('{PostgresqlListenWakeup.DefaultChannel}', '')";

        public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
        {
            if (session.PendingChanges.Streams().Any())
            {
                session.QueueSqlCommand(Notify);
            }

            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// A daemon wake-up that returns when <paramref name="listen"/>'s does, but never sooner than
/// <paramref name="spacing"/> after its previous return: the high-water agent looks for new events at most that often.
/// </summary>
public sealed class SpacedWakeup(Func<IDaemonWakeup> listen, TimeSpan spacing, TimeProvider clock) : IDaemonWakeup
{
    private readonly Lazy<IDaemonWakeup> _inner = new(listen);
    private long _returned;

    public async Task WaitAsync(TimeSpan timeout, CancellationToken token)
    {
        await _inner.Value.WaitAsync(timeout, token);
        var early = spacing - clock.GetElapsedTime(Interlocked.Read(ref _returned));
        if (early > TimeSpan.Zero)
        {
            await Task.Delay(early, clock, token);
        }

        Interlocked.Exchange(ref _returned, clock.GetTimestamp());
    }

    public void Dispose()
    {
        if (_inner.IsValueCreated)
        {
            _inner.Value.Dispose();
        }
    }
}
