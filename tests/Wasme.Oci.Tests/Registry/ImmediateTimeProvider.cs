using System.Collections.Concurrent;

namespace Wasme.Oci.Tests.Registry;

/// <summary>
/// A clock stopped at <paramref name="now"/> whose timers fire at once, recording how long each was
/// asked to wait: retry delays are checked without being waited. Timers restarted later never fire,
/// so clients using it turn the idle read timeout off.
/// </summary>
internal sealed class ImmediateTimeProvider(DateTimeOffset now) : TimeProvider
{
    public ConcurrentQueue<TimeSpan> Waits { get; } = new();

    public override DateTimeOffset GetUtcNow() => now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Waits.Enqueue(dueTime);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }

        return new StoppedTimer();
    }

    private sealed class StoppedTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
