using Wasme.Cache.Storage;
using Wasme.Cache.Tests.Support;

namespace Wasme.Cache.Tests.Fetching;

public sealed class ModuleFetcherTests
{
    [Fact]
    public async Task Sixty_four_concurrent_wants_for_one_cold_module_cause_one_fetch()
    {
        var source = new FakeModuleSource { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var digest = source.Add(TestModules.Create(50_000, seed: 1));
        using var harness = new CacheHarness(source);

        using var allAsked = new CountdownEvent(64);
        var wants = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            var want = harness.Fetcher.EnsureAsync(CacheHarness.Want(digest), CancellationToken.None);
            allAsked.Signal();
            return await want;
        })).ToArray();
        // The registry answers only once all 64 have asked, so every one of them met a cold cache.
        await Task.Run(allAsked.Wait);
        Assert.False(harness.Directory.Contains(digest));
        source.Gate.SetResult();
        var entries = await Task.WhenAll(wants);

        Assert.Equal(1, source.Fetches);
        Assert.All(entries, e => Assert.Equal(digest, e.Digest));
        Assert.Equal(1, harness.Metrics.Fetches);
    }

    [Fact]
    public async Task A_held_module_is_not_fetched_again()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 2));
        using var harness = new CacheHarness(source);

        await harness.Fetcher.EnsureAsync(CacheHarness.Want(digest), CancellationToken.None);
        await harness.Fetcher.EnsureAsync(CacheHarness.Want(digest), CancellationToken.None);

        Assert.Equal(1, source.Fetches);
    }

    [Fact]
    public async Task A_tampered_module_is_refused_counted_and_not_stored()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 3));
        source.Replace(digest, TestModules.Create(1000, seed: 4));
        using var harness = new CacheHarness(source);

        await Assert.ThrowsAsync<ModuleIntegrityException>(() => harness.Fetcher.EnsureAsync(CacheHarness.Want(digest), CancellationToken.None));

        Assert.Empty(harness.Temp.Files());
        Assert.Equal(1, harness.Metrics.FetchFailures);
        Assert.Null(harness.Fetcher.InFlight(digest));
    }

    [Fact]
    public async Task A_caller_giving_up_does_not_cancel_the_shared_fetch()
    {
        var source = new FakeModuleSource { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var digest = source.Add(TestModules.Create(1000, seed: 5));
        using var harness = new CacheHarness(source);
        using var impatient = new CancellationTokenSource();

        var first = harness.Fetcher.EnsureAsync(CacheHarness.Want(digest), impatient.Token);
        var second = harness.Fetcher.EnsureAsync(CacheHarness.Want(digest), CancellationToken.None);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        source.Gate.SetResult();

        Assert.Equal(digest, (await second).Digest);
        Assert.Equal(1, source.Fetches);
    }
}
