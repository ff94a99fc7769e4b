using Microsoft.Extensions.Time.Testing;
using Wasme.Operator.Queues;

namespace Wasme.Operator.Tests.Queues;

public sealed class WorkQueueTests
{
    private readonly FakeTimeProvider _time = new();

    private WorkQueue<string> NewQueue() =>
        new(_time, new ExponentialBackoff<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000)));

    [Fact]
    public async Task A_key_added_many_times_is_handed_out_once()
    {
        using var queue = NewQueue();
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");

        Assert.Equal(2, queue.Count);
        Assert.Equal("a", (await queue.TryTakeAsync(CancellationToken.None)).Key);
        Assert.Equal("b", (await queue.TryTakeAsync(CancellationToken.None)).Key);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task A_key_added_while_in_progress_comes_back_only_after_Done()
    {
        using var queue = NewQueue();
        queue.Add("a");
        var (_, key) = await queue.TryTakeAsync(CancellationToken.None);

        queue.Add("a");
        Assert.Equal(0, queue.Count);

        queue.Done(key);
        Assert.Equal(1, queue.Count);
        Assert.Equal("a", (await queue.TryTakeAsync(CancellationToken.None)).Key);
    }

    [Fact]
    public async Task Done_without_a_new_add_does_not_requeue()
    {
        using var queue = NewQueue();
        queue.Add("a");
        var (_, key) = await queue.TryTakeAsync(CancellationToken.None);
        queue.Done(key);

        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task A_key_is_busy_from_its_add_until_Done_and_not_while_only_delayed()
    {
        using var queue = NewQueue();
        queue.AddAfter("a", TimeSpan.FromSeconds(10));
        Assert.False(queue.IsBusy("a"));

        queue.Add("a");
        Assert.True(queue.IsBusy("a"));
        var (_, key) = await queue.TryTakeAsync(CancellationToken.None);
        Assert.True(queue.IsBusy("a"));
        queue.Done(key);
        Assert.False(queue.IsBusy("a"));
    }

    [Fact]
    public void AddAfter_waits_for_the_clock_and_keeps_the_earliest_time()
    {
        using var queue = NewQueue();
        queue.AddAfter("a", TimeSpan.FromSeconds(10));
        queue.AddAfter("a", TimeSpan.FromSeconds(3));
        queue.AddAfter("a", TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, queue.Count);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Count);
        Assert.Equal(0, queue.DelayedCount);

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void Rate_limited_adds_back_off_exponentially_per_key_until_forgotten()
    {
        using var queue = NewQueue();

        queue.AddRateLimited("bad");
        _time.Advance(TimeSpan.FromMilliseconds(4));
        Assert.Equal(0, queue.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, queue.Count);

        queue.AddRateLimited("bad");
        queue.AddRateLimited("bad");
        Assert.Equal(3, queue.Requeues("bad"));

        // Another key is not slowed down by the failing one.
        queue.AddRateLimited("good");
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(2, queue.Count);

        queue.Forget("bad");
        Assert.Equal(0, queue.Requeues("bad"));
    }

    [Fact]
    public async Task ShutDown_releases_waiting_takers()
    {
        using var queue = NewQueue();
        var waiting = queue.TryTakeAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        queue.ShutDown();

        var (ok, _) = await waiting;
        Assert.False(ok);
        queue.Add("a");
        Assert.Equal(0, queue.Count);
    }
}
