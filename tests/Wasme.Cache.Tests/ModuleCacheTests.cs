using Wasme.Cache.Fetching;
using Wasme.Cache.Storage;
using Wasme.Cache.Tests.Support;

namespace Wasme.Cache.Tests;

public sealed class ModuleCacheTests
{
    private static readonly CacheOptions Options = new()
    {
        RetryInitialDelay = TimeSpan.FromSeconds(1),
        RetryMaxDelay = TimeSpan.FromSeconds(30),
        GracePeriod = TimeSpan.FromMinutes(10),
        ResyncInterval = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task Fetches_wanted_modules_once_and_not_again_on_later_passes()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 1));
        using var harness = new CacheHarness(source, Options);
        harness.Cache.SetWanted([CacheHarness.Want(digest)]);

        for (var pass = 0; pass < 5; pass++)
        {
            await harness.Cache.SyncAsync();
            harness.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.True(harness.Directory.Contains(digest));
        Assert.Equal(1, source.Fetches);
    }

    [Fact]
    public async Task Registry_down_retries_with_backoff_and_keeps_what_is_held()
    {
        var source = new FakeModuleSource();
        var held = source.Add(TestModules.Create(1000, seed: 1));
        var missing = source.Add(TestModules.Create(1000, seed: 2));
        using var harness = new CacheHarness(source, Options);
        harness.Cache.SetWanted([CacheHarness.Want(held)]);
        await harness.Cache.SyncAsync();

        source.Failure = new HttpRequestException("Connection refused (127.0.0.1:5000)");
        harness.Cache.SetWanted([CacheHarness.Want(held), CacheHarness.Want(missing)]);
        var delay = await harness.Cache.SyncAsync();

        Assert.Equal(2, source.Fetches);
        Assert.Equal(TimeSpan.FromSeconds(1), delay);
        Assert.Contains("Connection refused", harness.Cache.FailureReason(missing), StringComparison.Ordinal);
        Assert.True(harness.Directory.Contains(held));

        // Not due yet: no new attempt.
        await harness.Cache.SyncAsync();
        Assert.Equal(2, source.Fetches);

        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        delay = await harness.Cache.SyncAsync();
        Assert.Equal(3, source.Fetches);
        Assert.Equal(TimeSpan.FromSeconds(2), delay);

        source.Failure = null;
        harness.Clock.Advance(delay);
        await harness.Cache.SyncAsync();
        Assert.True(harness.Directory.Contains(missing));
        Assert.Null(harness.Cache.FailureReason(missing));
    }

    [Fact]
    public void Backoff_doubles_up_to_the_maximum()
    {
        using var harness = new CacheHarness(new FakeModuleSource(), Options);

        Assert.Equal(TimeSpan.FromSeconds(1), harness.Cache.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(8), harness.Cache.Backoff(4));
        Assert.Equal(TimeSpan.FromSeconds(30), harness.Cache.Backoff(40));
    }

    [Fact]
    public async Task Unreferenced_module_is_evicted_after_the_grace_period_only()
    {
        var source = new FakeModuleSource();
        var kept = source.Add(TestModules.Create(1000, seed: 1));
        var dropped = source.Add(TestModules.Create(1000, seed: 2));
        using var harness = new CacheHarness(source, Options);
        harness.Cache.SetWanted([CacheHarness.Want(kept), CacheHarness.Want(dropped)]);
        await harness.Cache.SyncAsync();

        harness.Cache.SetWanted([CacheHarness.Want(kept)]);
        var delay = await harness.Cache.SyncAsync();
        Assert.True(harness.Directory.Contains(dropped));
        Assert.Equal(TimeSpan.FromMinutes(1), delay);

        harness.Clock.Advance(TimeSpan.FromMinutes(10));
        await harness.Cache.SyncAsync();

        Assert.False(harness.Directory.Contains(dropped));
        Assert.True(harness.Directory.Contains(kept));
        Assert.Equal([kept.Hex], harness.Temp.Files());
        Assert.Equal(1, harness.Metrics.Evictions);
    }

    [Fact]
    public async Task A_grace_period_of_centuries_keeps_unreferenced_modules_and_passes_still_succeed()
    {
        var source = new FakeModuleSource();
        var kept = source.Add(TestModules.Create(1000, seed: 1));
        var dropped = source.Add(TestModules.Create(1000, seed: 2));
        using var harness = new CacheHarness(source, Options with { GracePeriod = TimeSpan.FromHours(99_999_999) });
        harness.Cache.SetWanted([CacheHarness.Want(kept), CacheHarness.Want(dropped)]);
        await harness.Cache.SyncAsync();

        // `--grace-period 99999999h` (an operator's "forever") ends past year 9999: each pass threw and was retried every second.
        harness.Cache.SetWanted([CacheHarness.Want(kept)]);
        var delay = await harness.Cache.SyncAsync();
        harness.Clock.Advance(TimeSpan.FromDays(3650));
        await harness.Cache.SyncAsync();

        Assert.Equal(TimeSpan.FromMinutes(1), delay);
        Assert.True(harness.Directory.Contains(dropped));
        Assert.Equal(0, harness.Metrics.Evictions);
    }

    [Fact]
    public async Task Reaching_the_quota_evicts_unreferenced_modules_only()
    {
        var source = new FakeModuleSource();
        var a = source.Add(TestModules.Create(4000, seed: 1));
        var b = source.Add(TestModules.Create(4000, seed: 2));
        var c = source.Add(TestModules.Create(4000, seed: 3));
        using var harness = new CacheHarness(source, Options with { QuotaBytes = 10_000 });
        harness.Cache.SetWanted([CacheHarness.Want(a), CacheHarness.Want(b)]);
        await harness.Cache.SyncAsync();

        // b is no longer referenced but within its grace period; c arrives and the quota is exceeded.
        harness.Clock.Advance(TimeSpan.FromSeconds(5));
        harness.Cache.SetWanted([CacheHarness.Want(a), CacheHarness.Want(c)]);
        await harness.Cache.SyncAsync();

        Assert.Equal(new[] { a.Hex, c.Hex }.Order(StringComparer.Ordinal), harness.Temp.Files());

        // Over quota with referenced modules only: they all stay.
        var d = source.Add(TestModules.Create(4000, seed: 4));
        harness.Cache.SetWanted([CacheHarness.Want(a), CacheHarness.Want(c), CacheHarness.Want(d)]);
        await harness.Cache.SyncAsync();
        Assert.Equal(3, harness.Directory.Count);
    }

    [Fact]
    public async Task Observer_hears_about_changes_only_not_every_pass()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 1));
        var failing = source.Add(TestModules.Create(1000, seed: 2));
        source.Replace(failing, TestModules.Create(1000, seed: 3));
        var observer = new RecordingObserver();
        using var harness = new CacheHarness(source, Options, observer);
        harness.Cache.SetWanted([CacheHarness.Want(digest), CacheHarness.Want(failing)]);

        for (var pass = 0; pass < 6; pass++)
        {
            await harness.Cache.SyncAsync();
            harness.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal([digest], observer.Stored);
        Assert.Single(observer.Failed);
        // The first pass publishes what the node holds then, which may be before its fetch ends; after that only changes.
        Assert.Equal([digest], observer.HeldSets[^1]);
        Assert.True(observer.HeldSets.Count == 1 || (observer.HeldSets.Count == 2 && observer.HeldSets[0].Length == 0), $"{observer.HeldSets.Count} held sets published");
    }

    [Fact]
    public async Task A_stalled_registry_does_not_hold_back_other_modules_eviction_or_readiness()
    {
        var source = new FakeModuleSource();
        var stalled = source.Add(TestModules.Create(1000, seed: 1));
        var other = source.Add(TestModules.Create(1000, seed: 2));
        var later = source.Add(TestModules.Create(1000, seed: 3));
        var stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Gates[stalled] = stall;
        var observer = new RecordingObserver();
        using var harness = new CacheHarness(source, Options, observer);
        harness.Cache.SetWanted([CacheHarness.Want(stalled), CacheHarness.Want(other)]);

        // A registry that trickles bytes never trips the idle timeout: the pass must not wait for it.
        // The bound only keeps a regression from hanging the run; it never decides a passing run.
        await harness.Cache.SyncOnceAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System);
        await harness.Cache.FetchOf(other);
        harness.Cache.SetWanted([CacheHarness.Want(stalled), CacheHarness.Want(other), CacheHarness.Want(later)]);
        await harness.Cache.SyncOnceAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System);
        await harness.Cache.FetchOf(later);
        await harness.Cache.SyncOnceAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System);

        Assert.True(harness.Directory.Contains(later));
        Assert.Equal([other, later], observer.Stored);
        Assert.Equal(new[] { other.Hex, later.Hex }.Order(StringComparer.Ordinal), observer.HeldSets[^1].Select(d => d.Hex).Order(StringComparer.Ordinal));
        Assert.NotNull(harness.Fetcher.InFlight(stalled));

        stall.SetResult();
        await harness.Cache.SyncAsync();
        Assert.True(harness.Directory.Contains(stalled));
        Assert.Equal([other, later, stalled], observer.Stored);
    }

    [Fact]
    public async Task One_team_s_unpullable_image_does_not_keep_a_module_another_team_can_pull_off_the_node()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 1));
        var refused = new WantedModule(digest, $"registry.team-a.example/filters/shared@sha256:{new string('a', 64)}", new SecretReference("team-a", "regcred"));
        var pullable = new WantedModule(digest, $"registry.team-b.example/filters/shared@sha256:{new string('b', 64)}");
        source.FailingImages[refused.Image] = new InvalidOperationException("secrets \"regcred\" is forbidden: User \"system:serviceaccount:wasme:wasme-cache\" cannot get resource \"secrets\" in the namespace \"team-a\"");
        var observer = new RecordingObserver();
        using var harness = new CacheHarness(source, Options, observer);

        harness.Cache.SetWanted([pullable, refused]);
        await harness.Cache.SyncAsync();

        Assert.True(harness.Directory.Contains(digest));
        Assert.Equal([digest], observer.Stored);
        Assert.Empty(observer.Failed);

        // When no image answers, the failure names each image and its reason.
        var missing = source.Add(TestModules.Create(1000, seed: 2));
        var first = new WantedModule(missing, $"registry.team-a.example/filters/other@sha256:{new string('c', 64)}");
        var second = new WantedModule(missing, $"registry.team-b.example/filters/other@sha256:{new string('d', 64)}");
        source.FailingImages[first.Image] = new InvalidOperationException("unauthorized");
        source.FailingImages[second.Image] = new InvalidOperationException("connection refused");
        harness.Cache.SetWanted([pullable, first, second]);
        await harness.Cache.SyncAsync();

        var reason = harness.Cache.FailureReason(missing);
        Assert.Contains($"{first.Image}: unauthorized", reason, StringComparison.Ordinal);
        Assert.Contains($"{second.Image}: connection refused", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_file_removed_outside_the_cache_leaves_the_readiness_record_and_is_fetched_again()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 1));
        var observer = new RecordingObserver();
        using var harness = new CacheHarness(source, Options, observer);
        harness.Cache.SetWanted([CacheHarness.Want(digest)]);
        await harness.Cache.SyncAsync();
        var file = Path.Combine(harness.Temp.Path, digest.Hex);

        // A node clean-up (or an admin) empties the HostPath directory: sidecars can no longer read the module.
        File.Delete(file);
        source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Clock.Advance(Options.ResyncInterval);
        await harness.Cache.SyncOnceAsync(CancellationToken.None);

        Assert.False(harness.Directory.Contains(digest));
        Assert.Empty(observer.HeldSets[^1]);

        source.Gate.SetResult();
        await harness.Cache.SyncAsync();
        Assert.Equal(2, source.Fetches);
        Assert.True(File.Exists(file));
        Assert.Equal([digest], observer.HeldSets[^1]);
    }

    [Fact]
    public async Task A_full_disk_is_one_ModuleFetchFailed_naming_the_directory_not_one_per_retry()
    {
        var source = new FakeModuleSource();
        var digest = source.Add(TestModules.Create(1000, seed: 1));
        var observer = new RecordingObserver();
        using var harness = new CacheHarness(source, Options, observer);
        // What .NET throws when the temp file's write meets a full file system: ENOSPC, naming that (random) temp file.
        source.FailureEachTime = () => new IOException($"No space left on device : '{Path.Combine(harness.Temp.Path, $".tmp-{digest.Hex}-{Guid.NewGuid():N}")}'", 28);
        harness.Cache.SetWanted([CacheHarness.Want(digest)]);

        await harness.Cache.SyncAsync();
        harness.Clock.Advance(TimeSpan.FromMinutes(1));
        await harness.Cache.SyncAsync();

        Assert.Equal(2, source.Fetches);
        // Each attempt's reason named another temp file, so every retry was a new Warning Event on the FilterDeployments.
        var (module, reason) = Assert.Single(observer.Failed);
        Assert.Equal(digest, module);
        Assert.Equal(
            $"The module directory {harness.Temp.Path} is full: no room to store module sha256:{digest.Hex} (No space left on device). Free space on its file system or give --directory a larger volume; the fetch is retried.",
            reason);
        Assert.Empty(harness.Temp.Files());
    }

    private sealed class RecordingObserver : ICacheObserver
    {
        public List<ModuleDigest> Stored { get; } = [];
        public List<(ModuleDigest, string)> Failed { get; } = [];
        public List<ModuleDigest[]> HeldSets { get; } = [];

        public Task ModuleStoredAsync(WantedModule wanted, ModuleEntry entry, CancellationToken cancellationToken)
        {
            Stored.Add(wanted.Module);
            return Task.CompletedTask;
        }

        public Task ModuleFailedAsync(WantedModule wanted, string reason, CancellationToken cancellationToken)
        {
            Failed.Add((wanted.Module, reason));
            return Task.CompletedTask;
        }

        public Task HeldModulesChangedAsync(IReadOnlySet<ModuleDigest> held, CancellationToken cancellationToken)
        {
            HeldSets.Add([.. held]);
            return Task.CompletedTask;
        }
    }
}
