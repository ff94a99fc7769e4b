using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>A real registry behind a proxy that fails or stalls: retries re-send whole requests, cancelling leaves no trace.</summary>
public sealed class FlakyRegistryTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);
    private static readonly HttpClient Upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    [Fact]
    public async Task A_chunked_push_and_a_pull_survive_a_registry_that_fails_every_request_once()
    {
        var failed = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        await using var flaky = await ScriptedRegistry.StartAsync(async context =>
        {
            // Method, path and query name one request: every chunk's PATCH has its own upload state.
            if (failed.TryAdd(context.Request.Method + " " + context.Request.Path + context.Request.QueryString, true))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await ForwardAsync(context, fixture.Registry.Host);
        });
        using var store = new TestStore();
        var module = TestWasmModule.Create(200_000, seed: 41);
        var reference = ImageReference.Parse($"{flaky.Host}/flaky/filter:v1");
        var stored = await store.Store.AddAsync(reference, module, Config);
        using var client = new RegistryClient(new RegistryClientOptions { UploadChunkSize = 64 * 1024, RetryBaseDelay = TimeSpan.Zero }, AnonymousCredentialProvider.Instance);

        await new ImagePusher(client).PushAsync(store.Store, stored, reference);
        using var other = new TestStore();
        var pulled = await new ImagePuller(client).PullAsync(reference, other.Store);

        Assert.Equal(module, await other.Store.ReadModuleAsync(pulled));
        Assert.True(flaky.Requests.Count(r => r.Method == "PATCH") >= 8, "4 chunks, each failed once then sent again");
    }

    [Fact]
    public async Task Cancelling_a_pull_in_the_middle_of_a_blob_leaves_the_store_as_it_was()
    {
        var image = ImagePacker.Pack(TestWasmModule.Create(100_000, seed: 42), Config, WasmImageFormat.Wasme);
        var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stalling = await ScriptedRegistry.ServingImageAsync(image, async (context, blob) =>
        {
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob[..(blob.Length / 2)]);
            await context.Response.Body.FlushAsync();
            halfSent.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var store = new TestStore();
        await store.Store.AddAsync(ImageReference.Parse("example.com/kept/filter:v1"), TestWasmModule.Create(), Config);
        var before = store.Snapshot();
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
        using var cancel = new CancellationTokenSource();

        var pull = new ImagePuller(client).PullAsync(ImageReference.Parse($"{stalling.Host}/stalled/filter:v1"), store.Store, cancellationToken: cancel.Token);
        await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull);
        Assert.Equal(before, store.Snapshot());
    }

    /// <summary>Sends the request on to the real registry and copies its answer back, pointing upload locations at the proxy.</summary>
    private static async Task ForwardAsync(HttpContext context, string upstreamHost)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), $"http://{upstreamHost}{context.Request.Path}{context.Request.QueryString}");
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (context.Request.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new ByteArrayContent(body.ToArray());
            foreach (var name in new[] { "Content-Type", "Content-Range" })
            {
                if (context.Request.Headers.TryGetValue(name, out var value))
                {
                    request.Content.Headers.TryAddWithoutValidation(name, value.ToString());
                }
            }
        }

        foreach (var accept in context.Request.Headers.Accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await Upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Transfer-Encoding" or "Connection")
            {
                continue;
            }

            var value = string.Join(',', values);
            context.Response.Headers[name] = name == "Location" ? value.Replace(upstreamHost, context.Request.Host.Value, StringComparison.Ordinal) : value;
        }

        if (context.Request.Method != "HEAD")
        {
            await response.Content.CopyToAsync(context.Response.Body);
        }
    }
}
