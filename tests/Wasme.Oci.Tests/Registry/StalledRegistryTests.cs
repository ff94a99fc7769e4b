using Microsoft.Extensions.Time.Testing;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>A registry that stops sending, before or after its headers: the pull fails as a network error instead of hanging.</summary>
public sealed class StalledRegistryTests
{
    private static readonly PackedImage Image = ImagePacker.Pack(TestWasmModule.Create(100_000, seed: 12), RuntimeConfig.Create(["v0.2.1"], ["root"]), WasmImageFormat.Wasme);

    [Fact]
    public async Task A_blob_that_stalls_after_its_headers_fails_the_pull_naming_the_blob_the_host_and_the_flag()
    {
        // Every blob (the pull fetches them side by side) sends its headers and half its body, then stalls.
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Image.Blobs.Count;
        await using var registry = await ScriptedRegistry.ServingImageAsync(Image, async (context, blob) =>
        {
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob[..(blob.Length / 2)]);
            await context.Response.Body.FlushAsync();
            if (Interlocked.Decrement(ref running) == 0)
            {
                stalled.TrySetResult();
            }

            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var store = new TestStore();
        var clock = new FakeTimeProvider();
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance, timeProvider: clock);

        var pull = new ImagePuller(client).PullAsync(ImageReference.Parse($"{registry.Host}/stalled/filter:v1"), store.Store);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await PassTimeUntilDoneAsync(clock, pull);

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => pull);
        // Usually the body read times out; on a loaded machine the clock may pass while the headers are still being read.
        Assert.Matches($"^{registry.Host} (stopped sending|did not answer) blob sha256:[0-9a-f]{{64}} of stalled/filter(: (nothing|only [0-9]+ bytes) arrived for| within) 30 s", error.Message);
        Assert.Contains("--read-timeout", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task A_registry_that_never_answers_fails_naming_the_request_and_the_flag()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            waiting.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        var clock = new FakeTimeProvider();
        using var client = new RegistryClient(new RegistryClientOptions { ReadTimeout = TimeSpan.FromSeconds(5) }, AnonymousCredentialProvider.Instance, timeProvider: clock);

        var fetch = client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/silent/filter:v1"));
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await PassTimeUntilDoneAsync(clock, fetch);

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => fetch);
        Assert.StartsWith($"{registry.Host} did not answer the manifest v1 of silent/filter within 5 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("--read-timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_trickled_a_byte_at_a_time_fails_within_the_read_timeout_instead_of_taking_hours()
    {
        // Slowloris: every byte comes well within the timeout (a second apart of a 30 s timeout), so the connection never
        // stalls; at a byte every 10 s even this small manifest would take over an hour, a 4 MiB one over a year.
        var release = new SemaphoreSlim(0);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var manifest = Image.ManifestBytes.ToArray();
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            context.Response.ContentType = Image.ManifestDescriptor.MediaType;
            context.Response.ContentLength = manifest.Length;
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            started.TrySetResult();
            foreach (var b in manifest)
            {
                await release.WaitAsync(context.RequestAborted);
                await context.Response.Body.WriteAsync(new[] { b });
                await context.Response.Body.FlushAsync();
            }
        });
        var clock = new FakeTimeProvider();
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance, timeProvider: clock);

        var fetch = client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/trickle/filter:v1"));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var sent = 0; sent < manifest.Length && !fetch.IsCompleted; sent++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            release.Release();
            await Task.WhenAny(fetch, Task.Delay(10));
        }

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => fetch);
        Assert.Matches($"^{registry.Host} stopped sending the manifest v1 of trickle/filter: only [0-9]+ bytes arrived for 30 s", error.Message);
        Assert.Contains("--read-timeout", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Moves the fake clock past the timeout until the operation ends: the timeout runs only while
    /// the client waits on the network, so one step may land while it is between reads.
    /// </summary>
    private static async Task PassTimeUntilDoneAsync(FakeTimeProvider clock, Task operation)
    {
        while (!operation.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(operation, Task.Delay(20));
        }
    }
}
