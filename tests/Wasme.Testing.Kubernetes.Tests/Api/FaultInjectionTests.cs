using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>Each injected fault, seen through KubernetesClient the way an operator would meet it.</summary>
public sealed class FaultInjectionTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private KubernetesTestServer _server = null!;
    private IKubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { TimeProvider = _time });
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ConflictEveryNthWrite_ARetryingWriterStillConverges()
    {
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "counter" }, Data = new Dictionary<string, string> { ["n"] = "0" } }, "default");
        _server.Faults.ConflictEveryNthWrite(2);

        var attempts = 0;
        for (var i = 1; i <= 3; i++)
        {
            while (true)
            {
                attempts++;
                var current = await _client.CoreV1.ReadNamespacedConfigMapAsync("counter", "default");
                current.Data["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    await _client.CoreV1.ReplaceNamespacedConfigMapAsync(current, "counter", "default");
                    break;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    // Re-read and retry, as a controller does.
                }
            }
        }

        Assert.Equal("3", (await _client.CoreV1.ReadNamespacedConfigMapAsync("counter", "default")).Data["n"]);
        Assert.Equal(attempts - 3, _server.Faults.InjectedConflicts);
        Assert.True(_server.Faults.InjectedConflicts > 0);
    }

    [Fact]
    public async Task FailPath_Answers500OnMatchingRequestsOnly_ForTheGivenCount()
    {
        _server.Faults.FailPath("^/api/v1/namespaces/default/configmaps$", 500, method: "GET", times: 1);

        var failure = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespacedConfigMapAsync("default"));
        Assert.Equal(HttpStatusCode.InternalServerError, failure.Response.StatusCode);
        Assert.Contains("InternalError", failure.Response.Content);
        Assert.NotNull(await _client.CoreV1.ListNamespaceAsync());

        Assert.Empty((await _client.CoreV1.ListNamespacedConfigMapAsync("default")).Items);
    }

    [Fact]
    public async Task Throttle_Answers429WithRetryAfterAndPlainText_AsPriorityAndFairnessDoes()
    {
        _server.Faults.Throttle("^/api/v1/namespaces/default/configmaps$", retryAfterSeconds: 3, method: "POST", times: 1);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => CreateAsync("a"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Response.StatusCode);
        Assert.Equal("3", Assert.Single(refused.Response.Headers["Retry-After"]));
        Assert.Equal("Too many requests, please try again later.\n", refused.Response.Content);
        Assert.Equal(1, _server.Faults.InjectedThrottles);
        Assert.Empty((await _client.CoreV1.ListNamespacedConfigMapAsync("default")).Items);

        await CreateAsync("a");
    }

    [Fact]
    public async Task DroppedWatch_EndsTheStream_AndResumingFromTheLastVersionLosesNothing()
    {
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        var first = Watch(list.Metadata.ResourceVersion);
        await CreateAsync("a");
        var seen = (await first.TakeAsync(1))[0].Object;

        Assert.Equal(1, _server.Faults.DropWatches());
        Assert.Empty(await first.TakeAllAsync());
        await first.DisposeAsync();
        await CreateAsync("b");

        await using var resumed = Watch(seen.Metadata.ResourceVersion);
        Assert.Equal("b", (await resumed.TakeAsync(1))[0].Object.Metadata.Name);
    }

    [Fact]
    public async Task CloseWatchesAtOnce_EndsTheNextWatchesBeforeAnyEvent()
    {
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        await CreateAsync("a");
        _server.Faults.CloseWatchesAtOnce(times: 1);

        await using (var cut = Watch(list.Metadata.ResourceVersion))
        {
            Assert.Empty(await cut.TakeAllAsync());
        }

        Assert.Equal(1, _server.Faults.ClosedWatches);
        await using var next = Watch(list.Metadata.ResourceVersion);
        Assert.Equal("a", (await next.TakeAsync(1))[0].Object.Metadata.Name);
    }

    [Fact]
    public async Task Latency_HoldsEveryRequestUntilTheServerClockHasMoved()
    {
        var delayed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Faults.RequestDelayed += path => delayed.TrySetResult(path);
        _server.Faults.Latency = TimeSpan.FromSeconds(5);

        var call = _client.CoreV1.ListNamespacedConfigMapAsync("default");
        Assert.Equal("/api/v1/namespaces/default/configmaps", await delayed.Task);
        Assert.False(call.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Empty((await call).Items);
    }

    [Fact]
    public async Task StopListening_EndsWatchesAndRefusesConnections_StartListeningServesTheSameDataOnTheSameAddress()
    {
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        var first = Watch(list.Metadata.ResourceVersion);
        await CreateAsync("a");
        var seen = (await first.TakeAsync(1))[0].Object;

        await _server.StopListeningAsync();
        Assert.False(_server.IsListening);
        Assert.Empty(await first.TakeAllAsync());
        await first.DisposeAsync();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => _client.CoreV1.ListNamespacedConfigMapAsync("default"));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, Assert.IsType<System.Net.Sockets.SocketException>(refused.InnerException).SocketErrorCode);

        await _server.StartListeningAsync();
        Assert.True(_server.IsListening);
        var again = await _client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");
        Assert.Equal(seen.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
        await using var resumed = Watch(seen.Metadata.ResourceVersion);
        await CreateAsync("b");
        Assert.Equal("b", (await resumed.TakeAsync(1))[0].Object.Metadata.Name);
    }

    private async Task CreateAsync(string name) =>
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default");

    private WatchCollector<V1ConfigMap> Watch(string resourceVersion) =>
        new((onError, ct) => _client.CoreV1.WatchListNamespacedConfigMapAsync(
            "default", resourceVersion: resourceVersion, onError: onError, cancellationToken: ct));
}
