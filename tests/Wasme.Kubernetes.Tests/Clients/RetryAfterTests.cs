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
/// client-go waits that long and sends the request again; KubernetesClient does not, so before, the informers listed again
/// after 1 s whatever the server asked. Reads are now sent again after the wait; writes are left to the caller.
/// </summary>
public sealed class RetryAfterTests
{
    [Fact]
    public async Task A_throttled_read_is_sent_again_once_Retry_After_has_passed_and_not_before()
    {
        var time = new FakeTimeProvider();
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-test", time);
        server.Faults.Throttle("^/api/v1/namespaces/default/configmaps$", retryAfterSeconds: 2, method: "GET", times: 1);

        var list = client.CoreV1.ListNamespacedConfigMapAsync("default");
        var waited = await AdvanceUntilAsync(time, list);

        Assert.Empty((await list).Items);
        Assert.True(waited >= TimeSpan.FromSeconds(2), $"sent again after {waited} of the client's clock; the server asked for 2 s");
        Assert.Equal([429, 200], server.Requests.Snapshot().Where(r => r.Path == "/api/v1/namespaces/default/configmaps").Select(r => r.StatusCode));
    }

    [Fact]
    public async Task A_throttled_write_is_not_sent_again_by_the_client()
    {
        // The operator checks its Lease before each write; a write sent again seconds later would skip that check, so the
        // caller retries it (the operator's controller waits what Retry-After says before reconciling again).
        var time = new FakeTimeProvider();
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-test", time);
        server.Faults.Throttle("^/api/v1/namespaces/default/configmaps$", retryAfterSeconds: 2, method: "POST", times: 1);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default"));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), KubernetesErrors.RetryAfter(refused));
        Assert.Single(server.Requests.Snapshot(), r => r.Method == "POST");
    }

    [Fact]
    public async Task A_failure_without_Retry_After_is_not_repeated_and_a_lasting_throttle_is_given_up()
    {
        var time = new FakeTimeProvider();
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-test", time);
        server.Faults.FailPath("^/api/v1/namespaces/default/configmaps$", 500, method: "GET", times: 1);

        var failed = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedConfigMapAsync("default"));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.Response.StatusCode);
        Assert.Single(server.Requests.Snapshot(), r => r.Path == "/api/v1/namespaces/default/configmaps");

        server.Faults.Throttle("^/api/v1/namespaces/default/configmaps$", retryAfterSeconds: 1, method: "GET");
        var list = client.CoreV1.ListNamespacedConfigMapAsync("default");
        await AdvanceUntilAsync(time, list);
        var throttled = await Assert.ThrowsAsync<HttpOperationException>(() => list);
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
