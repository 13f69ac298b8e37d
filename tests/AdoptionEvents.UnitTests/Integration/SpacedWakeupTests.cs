using AdoptionEvents.Integration;
using JasperFx.Events.Daemon.HighWater;

namespace AdoptionEvents.UnitTests.Integration;

public class SpacedWakeupTests
{
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task A_wake_up_after_a_quiet_spell_returns_at_once_and_one_sooner_than_the_spacing_waits_out_the_rest()
    {
        var clock = new ManualClock();
        var inner = new Woken();
        using var wakeup = new SpacedWakeup(() => inner, Spacing, clock);

        // The first wake-up, and one long after the last, return as soon as the inner one does.
        await wakeup.WaitAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        await wakeup.WaitAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        clock.Timers.ShouldBeEmpty();

        // Woken again 30 ms later: it returns only once 100 ms have passed since the last return.
        clock.Advance(TimeSpan.FromMilliseconds(30));
        var spaced = wakeup.WaitAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        clock.Timers.ShouldHaveSingleItem().Due.ShouldBe(TimeSpan.FromMilliseconds(70));
        spaced.IsCompleted.ShouldBeFalse();

        clock.Advance(TimeSpan.FromMilliseconds(70));
        await spaced.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        inner.Calls.ShouldBe(3);
    }

    [Fact]
    public void The_listening_wake_up_is_made_on_first_wait_and_disposed_with_the_spaced_one()
    {
        var made = 0;
        var inner = new Woken();
        var wakeup = new SpacedWakeup(() => { made++; return inner; }, Spacing, new ManualClock());
        made.ShouldBe(0);

        wakeup.WaitAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken).IsCompleted.ShouldBeTrue();
        wakeup.Dispose();

        (made, inner.Disposed).ShouldBe((1, true));
    }

    /// <summary>An inner wake-up that has always been signalled.</summary>
    private sealed class Woken : IDaemonWakeup
    {
        public int Calls { get; private set; }

        public bool Disposed { get; private set; }

        public Task WaitAsync(TimeSpan timeout, CancellationToken token)
        {
            Calls++;
            return Task.CompletedTask;
        }

        public void Dispose() => Disposed = true;
    }

    /// <summary>A clock that moves only when told, and fires the timers that fall due.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000_000;

        public List<ManualTimer> Timers { get; } = [];

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by)
        {
            _ticks += by.Ticks;
            foreach (var timer in Timers.Where(t => t.At <= _ticks).ToList())
            {
                Timers.Remove(timer);
                timer.Fire();
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, () => callback(state), dueTime);
            Timers.Add(timer);
            return timer;
        }

        public sealed class ManualTimer(ManualClock clock, Action fire, TimeSpan due) : ITimer
        {
            public TimeSpan Due { get; } = due;

            public long At { get; } = clock._ticks + due.Ticks;

            public void Fire() => fire();

            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose() => clock.Timers.Remove(this);

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
