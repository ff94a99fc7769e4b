using Wasme.Proxy.Hosting;

namespace Wasme.Proxy.Tests.Hosting;

public sealed class ProxyOptionsLimitsTests
{
    [Fact]
    public void A_stream_idle_timeout_longer_than_a_timer_can_wait_is_refused_at_start()
    {
        // A paused stream waits with Task.WaitAsync, which throws for more than ~49.7 days instead of waiting.
        var options = new ProxyOptions { EchoUpstream = true, StreamIdleTimeout = TimeSpan.FromDays(100) };

        var problem = Assert.Single(options.Validate());

        Assert.Equal("stream idle timeout of 100 days is over 49 days, the longest a paused stream can wait: pass a shorter one (--stream-idle-timeout 5m, or 49d at most)", problem);
    }

    [Fact]
    public void The_longest_wait_a_timer_takes_is_accepted()
    {
        var options = new ProxyOptions { EchoUpstream = true, StreamIdleTimeout = ProxyOptions.MaxStreamIdleTimeout };

        Assert.Empty(options.Validate());
        _ = new TaskCompletionSource().Task.WaitAsync(ProxyOptions.MaxStreamIdleTimeout, TimeProvider.System, CancellationToken.None);
    }
}
