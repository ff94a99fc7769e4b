using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Wasme.Kubernetes.Clients;
using Wasme.Testing.Kubernetes;

namespace Wasme.Kubernetes.Tests.Clients;

/// <summary>
/// An API server that throttles (API Priority and Fairness: 429 with Retry-After) asks the client to come back later.
/// client-go waits that long and sends the request again; KubernetesClient does not, so before, the operator's reconcile
/// failed and came back after its backoff's first 5 ms, and the cache's informer after 1 s, whatever the server asked.
/// </summary>
public sealed class RetryAfterTests
{
    [Fact]
    public async Task A_throttled_request_is_sent_again_once_Retry_After_has_passed_and_not_before()
    {
        var time = new FakeTimeProvider();
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-test", time);
        server.Faults.Throttle("^/api/v1/namespaces/default/configmaps$", retryAfterSeconds: 2, method: "POST", times: 1);

        var create = client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default");
        var waited = await AdvanceUntilAsync(time, create);

        Assert.Equal("a", (await create).Metadata.Name);
        Assert.True(waited >= TimeSpan.FromSeconds(2), $"sent again after {waited} of the client's clock; the server asked for 2 s");
        Assert.Equal([429, 201], server.Requests.Snapshot().Where(r => r.Method == "POST").Select(r => r.StatusCode));
    }

    [Fact]
    public async Task A_failure_without_Retry_After_is_not_repeated_and_a_lasting_throttle_is_given_up()
    {
        var time = new FakeTimeProvider();
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-test", time);
        server.Faults.FailPath("^/api/v1/namespaces/default/configmaps$", 500, method: "POST", times: 1);

        var failed = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default"));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.Response.StatusCode);
        Assert.Single(server.Requests.Snapshot(), r => r.Method == "POST");

        server.Faults.Throttle("^/api/v1/namespaces/default/configmaps$", retryAfterSeconds: 1, method: "POST");
        var create = client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, "default");
        await AdvanceUntilAsync(time, create);
        var throttled = await Assert.ThrowsAsync<HttpOperationException>(() => create);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.Response.StatusCode);
        Assert.Equal(1 + RetryAfterHandler.MaxRetries, server.Faults.InjectedThrottles);
    }

    // Moves the client's clock in small steps until the call ends; returns how far it moved.
    private static async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider time, Task call)
    {
        var step = TimeSpan.FromMilliseconds(100);
        var moved = TimeSpan.Zero;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!call.IsCompleted)
        {
            await Task.Delay(10, timeout.Token);
            time.Advance(step);
            moved += step;
        }

        return moved;
    }
}
