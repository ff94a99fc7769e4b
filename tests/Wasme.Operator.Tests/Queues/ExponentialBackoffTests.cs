using Wasme.Operator.Queues;

namespace Wasme.Operator.Tests.Queues;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void Delay_doubles_per_failure_and_stops_at_the_cap()
    {
        var backoff = new ExponentialBackoff<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1));

        var delays = Enumerable.Range(0, 10).Select(_ => backoff.When("k").TotalMilliseconds).ToArray();

        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000], delays);
    }

    [Fact]
    public void Huge_failure_counts_do_not_overflow()
    {
        var backoff = new ExponentialBackoff<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));
        var last = TimeSpan.Zero;
        for (var i = 0; i < 200; i++)
        {
            last = backoff.When("k");
        }

        Assert.Equal(TimeSpan.FromSeconds(1000), last);
    }

    [Fact]
    public void Keys_are_independent_and_Forget_starts_over()
    {
        var backoff = new ExponentialBackoff<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1));
        backoff.When("a");
        backoff.When("a");

        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.When("b"));
        backoff.Forget("a");
        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.When("a"));
    }
}
