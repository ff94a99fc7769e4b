using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wasme.Cache.Fetching;
using Wasme.Cache.Hosting;
using Wasme.Cache.Storage;
using Wasme.Cache.Tests.Support;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;

namespace Wasme.Cache.Tests.Registry;

/// <summary>The cache against a real docker-registry, with faults injected by a proxy in front of it.</summary>
public sealed class RegistryFaultTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private static readonly CacheOptions Options = new()
    {
        Listen = new Uri("http://127.0.0.1:0"),
        RetryInitialDelay = TimeSpan.FromSeconds(1),
        ResyncInterval = TimeSpan.FromHours(1),
    };

    private readonly UpstreamCounter _upstream = new();

    private RegistryModuleSource Source() =>
        new(AnonymousPullCredentialSource.Instance, Options.MaxModuleBytes, NullLoggerFactory.Instance, TimeProvider.System, _upstream.CreateHandler);

    [Theory]
    [InlineData(WasmImageFormat.Wasme)]
    [InlineData(WasmImageFormat.Compat)]
    public async Task Pulls_an_image_by_digest_and_stores_the_verified_module(WasmImageFormat format)
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, $"filters/layout-{format}".ToLowerInvariant(), 20_000, seed: 1, format);
        using var harness = new CacheHarness(Source(), Options);

        var entry = await harness.Fetcher.EnsureAsync(pushed.Wanted, CancellationToken.None);

        Assert.Equal(pushed.Bytes, await File.ReadAllBytesAsync(entry.Path));
        Assert.Equal([pushed.Module.Hex], harness.Temp.Files());
    }

    [Fact]
    public async Task Sixty_four_concurrent_cold_wants_cause_one_upstream_fetch()
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, "filters/concurrent", 1 << 20, seed: 2);
        using var harness = new CacheHarness(Source(), Options);
        using var allAsked = new CountdownEvent(64);

        var wants = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            var want = harness.Fetcher.EnsureAsync(pushed.Wanted, CancellationToken.None);
            allAsked.Signal();
            return await want;
        })).ToArray();
        var entries = await Task.WhenAll(wants);

        Assert.All(entries, e => Assert.Equal(pushed.Module, e.Digest));
        Assert.Equal(1, _upstream.Count(r => r == "GET " + pushed.ModuleBlobPath));
        Assert.Equal(1, _upstream.Count(r => r.Contains("/manifests/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Registry_cut_mid_pull_leaves_no_partial_file_and_the_next_pull_completes()
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, "filters/cut", 256 * 1024, seed: 3);
        await using var proxy = await FaultyRegistryProxy.StartAsync(fixture.Registry.Host);
        proxy.FaultPath = pushed.ModuleBlobPath;
        proxy.Fault = FaultyRegistryProxy.CutHalfway;
        using var harness = new CacheHarness(Source(), Options);
        var wanted = pushed.Wanted with { Image = pushed.PinnedImage.Replace(fixture.Registry.Host, proxy.Host, StringComparison.Ordinal) };
        harness.Cache.SetWanted([wanted]);

        var retryIn = await harness.Cache.SyncAsync();

        Assert.True(proxy.FaultPathRequests >= 1);
        Assert.Empty(harness.Temp.Files());
        Assert.NotNull(harness.Cache.FailureReason(pushed.Module));
        Assert.Equal(1, harness.Metrics.FetchFailures);

        proxy.Fault = null;
        harness.Clock.Advance(retryIn);
        await harness.Cache.SyncAsync();

        Assert.Equal([pushed.Module.Hex], harness.Temp.Files());
        Assert.Equal(pushed.Bytes, await File.ReadAllBytesAsync(Path.Combine(harness.Temp.Path, pushed.Module.Hex)));
    }

    [Fact]
    public async Task A_tampered_blob_is_refused_and_nothing_is_stored()
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, "filters/tampered", 10_000, seed: 4);
        await using var proxy = await FaultyRegistryProxy.StartAsync(fixture.Registry.Host);
        proxy.FaultPath = pushed.ModuleBlobPath;
        proxy.Fault = FaultyRegistryProxy.Tamper;
        using var harness = new CacheHarness(Source(), Options);
        var wanted = pushed.Wanted with { Image = pushed.PinnedImage.Replace(fixture.Registry.Host, proxy.Host, StringComparison.Ordinal) };

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => harness.Fetcher.EnsureAsync(wanted, CancellationToken.None));

        Assert.Contains("does not match its digest", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Temp.Files());
        Assert.Equal(1, harness.Metrics.FetchFailures);
    }

    [Fact]
    public async Task An_image_whose_module_is_not_the_expected_sha256_is_refused()
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, "filters/other-module", 10_000, seed: 5);
        var expected = TestModules.DigestOf(TestModules.Create(100, seed: 99));
        using var harness = new CacheHarness(Source(), Options);

        var error = await Assert.ThrowsAsync<ModuleIntegrityException>(() =>
            harness.Fetcher.EnsureAsync(pushed.Wanted with { Module = expected }, CancellationToken.None));

        Assert.Contains(pushed.Module.Hex, error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Temp.Files());
    }

    [Fact]
    public async Task A_reference_without_a_digest_is_refused_with_the_fix()
    {
        using var harness = new CacheHarness(Source(), Options);
        var wanted = new WantedModule(TestModules.DigestOf([1, 2, 3]), $"{fixture.Registry.Host}/filters/tagged:v1");

        var error = await Assert.ThrowsAsync<OciUsageException>(() => harness.Fetcher.EnsureAsync(wanted, CancellationToken.None));

        Assert.Contains("pinned by digest", error.Message, StringComparison.Ordinal);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Registry_down_held_modules_are_still_served_and_not_pulled_again()
    {
        var held = await PushedModule.PushAsync(fixture.Registry.Host, "filters/down-held", 10_000, seed: 6);
        var later = await PushedModule.PushAsync(fixture.Registry.Host, "filters/down-later", 10_000, seed: 7);
        await using var proxy = await FaultyRegistryProxy.StartAsync(fixture.Registry.Host);
        using var temp = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var feed = new StaticWantedModules([held.Wanted with { Image = held.PinnedImage.Replace(fixture.Registry.Host, proxy.Host, StringComparison.Ordinal) }]);
        await using var daemon = await CacheDaemon.StartAsync(
            Options with { Directory = temp.Path }, Source(), feed, NullCacheObserver.Instance, NullLoggerFactory.Instance, clock, CancellationToken.None);
        await daemon.Services.Fetcher.EnsureAsync(held.Wanted, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = daemon.Address };

        // The registry goes away.
        await proxy.DisposeAsync();
        daemon.Cache.SetWanted([
            held.Wanted,
            later.Wanted with { Image = later.PinnedImage.Replace(fixture.Registry.Host, proxy.Host, StringComparison.Ordinal) },
        ]);
        await Assert.ThrowsAnyAsync<Exception>(() => daemon.Services.Fetcher.EnsureAsync(
            later.Wanted with { Image = later.PinnedImage.Replace(fixture.Registry.Host, proxy.Host, StringComparison.Ordinal) }, CancellationToken.None));

        using var response = await http.GetAsync($"/sha256/{held.Module.Hex}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(held.Bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/sha256/{later.Module.Hex}")).StatusCode);
        Assert.Equal(1, _upstream.Count(r => r == "GET " + held.ModuleBlobPath));
    }

    [Fact]
    public async Task After_a_crash_the_restarted_daemon_repairs_its_directory_and_still_serves()
    {
        var kept = await PushedModule.PushAsync(fixture.Registry.Host, "filters/crash-kept", 10_000, seed: 8);
        var interrupted = await PushedModule.PushAsync(fixture.Registry.Host, "filters/crash-interrupted", 64 * 1024, seed: 9);
        using var temp = new TempDirectory();
        var options = Options with { Directory = temp.Path };

        await using (var first = await CacheDaemon.StartAsync(
            options, Source(), new StaticWantedModules([kept.Wanted]), NullCacheObserver.Instance, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None))
        {
            await first.Services.Fetcher.EnsureAsync(kept.Wanted, CancellationToken.None);
        }

        // What a SIGKILL during the next fetch leaves behind: a partial temp file. And a module file
        // whose content no longer matches its name (an old non-atomic writer, or a disk fault).
        await File.WriteAllBytesAsync(Path.Combine(temp.Path, $".tmp-{interrupted.Module.Hex}-0001"), interrupted.Bytes.AsSpan(0, 1000).ToArray());
        await File.WriteAllBytesAsync(Path.Combine(temp.Path, interrupted.Module.Hex), interrupted.Bytes.AsSpan(0, 5000).ToArray());

        await using var second = await CacheDaemon.StartAsync(
            options, Source(), new StaticWantedModules([kept.Wanted, interrupted.Wanted]), NullCacheObserver.Instance, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = second.Address };

        Assert.Equal(kept.Bytes, await http.GetByteArrayAsync($"/sha256/{kept.Module.Hex}"));
        await second.Services.Fetcher.EnsureAsync(interrupted.Wanted, CancellationToken.None);
        Assert.Equal(interrupted.Bytes, await http.GetByteArrayAsync($"/sha256/{interrupted.Module.Hex}"));
        Assert.Equal(new[] { kept.Module.Hex, interrupted.Module.Hex }.Order(StringComparer.Ordinal), temp.Files());
        Assert.Equal(1, _upstream.Count(r => r == "GET " + kept.ModuleBlobPath));
    }
}
