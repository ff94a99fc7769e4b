using Microsoft.Extensions.Time.Testing;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>Moving a fake clock past a timer that the proxy arms or restarts on its own threads.</summary>
public static class FakeClock
{
    /// <summary>
    /// Advances <paramref name="clock"/> by <paramref name="step"/> until <paramref name="done"/> completes. The proxy
    /// arms or restarts its timers just after work the test can see (a filter returning, bytes sent), so one advance
    /// can land before the timer exists and be lost. With each step a whole timeout, any step after the timer is armed
    /// fires it; <paramref name="cancellationToken"/> (real time) bounds the wait when it never fires.
    /// </summary>
    public static async Task AdvanceUntilAsync(this FakeTimeProvider clock, TimeSpan step, Task done, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(done);
        while (!done.IsCompleted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            clock.Advance(step);
            await Task.WhenAny(done, Task.Delay(50, CancellationToken.None));
        }

        await done;
    }
}
