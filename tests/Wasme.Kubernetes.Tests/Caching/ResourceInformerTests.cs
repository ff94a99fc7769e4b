using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Clients;
using Wasme.Testing.Kubernetes;

namespace Wasme.Kubernetes.Tests.Caching;

/// <summary>The shared informer against the API test server: what the operator and the cache see of a kind.</summary>
public sealed class ResourceInformerTests
{
    [Fact]
    public async Task Lists_then_follows_the_watch_through_creates_updates_and_deletes()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = server.CreateClient();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        server.ApplyYaml(Deployment("before", "1"));
        var (informer, seen) = Deployments(client, new InformerOptions { Namespace = "shop" });
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["before"], informer.List("shop").Select(d => d.Metadata.Name));

        server.ApplyYaml(Deployment("after", "1"));
        server.ApplyYaml(Deployment("before", "2"));
        await client.AppsV1.DeleteNamespacedDeploymentAsync("after", "shop");

        await EventuallyAsync(() => Seen(seen).Contains((ResourceEventType.Deleted, "after")));
        Assert.Equal(
            [(ResourceEventType.Added, "before"), (ResourceEventType.Added, "after"), (ResourceEventType.Modified, "before"), (ResourceEventType.Deleted, "after")],
            Seen(seen));
        Assert.Equal("2", (string?)informer.Get(new ObjectKey("shop", "before"))!.Spec!["replicas"]?.ToString());
        Assert.Null(informer.Get(new ObjectKey("shop", "after")));

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_label_selected_informer_never_sees_objects_outside_its_selector()
    {
        // The operator follows only the EnvoyFilters it manages (managed-by=wasme): a foreign object created or
        // edited after the list must not enter its cache, and one whose label is removed leaves it.
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = server.CreateClient();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        server.ApplyYaml(Deployment("ours", "1", "mine"));
        var (informer, seen) = Deployments(client, new InformerOptions { Namespace = "shop", LabelSelector = "owner=mine" });
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        server.ApplyYaml(Deployment("foreign", "1", "someone-else"));
        server.ApplyYaml(Deployment("foreign", "2", "someone-else"));
        server.ApplyYaml(Deployment("ours", "2", "someone-else"));
        server.ApplyYaml(Deployment("marker", "1", "mine"));

        await EventuallyAsync(() => Seen(seen).Contains((ResourceEventType.Added, "marker")));
        Assert.Equal(
            [(ResourceEventType.Added, "ours"), (ResourceEventType.Deleted, "ours"), (ResourceEventType.Added, "marker")],
            Seen(seen));
        Assert.Equal(["marker"], informer.List("shop").Select(d => d.Metadata.Name));

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_kind_the_server_does_not_serve_counts_as_synced_and_empty()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = server.CreateClient();
        var informer = new ResourceInformer<GenericResource>(
            new KubernetesResourceClient<GenericResource>(client, new ResourceType("example.com", "v1", "widgets", "Widget")),
            new InformerOptions(),
            TimeProvider.System,
            NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(informer.IsServed);
        Assert.Empty(informer.List());
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_kind_that_stops_being_served_for_a_while_keeps_its_objects_instead_of_reporting_them_deleted()
    {
        // A restarted kube-apiserver answers 404 for custom resources until it has read their CRDs. client-go's reflector keeps
        // its store through a failed list; this informer reported every object deleted, so the cache stopped wanting every
        // module (evicting them when over quota) and the operator took its owned objects for gone.
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = server.CreateClient();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        server.ApplyYaml(Deployment("web", "1"));
        var (informer, seen) = Deployments(client, new InformerOptions { Namespace = "shop", ResyncPeriod = TimeSpan.Zero, ErrorBackoff = TimeSpan.FromMilliseconds(10), NotServedBackoffMax = TimeSpan.FromMilliseconds(50) });
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        server.Faults.FailPath("/apis/apps/v1/namespaces/shop/deployments", 404, method: "GET");
        server.Faults.DropWatches();
        await EventuallyAsync(() => !informer.IsServed);

        Assert.Equal(["web"], informer.List("shop").Select(d => d.Metadata.Name));
        Assert.DoesNotContain((ResourceEventType.Deleted, "web"), Seen(seen));

        server.Faults.Reset();
        await EventuallyAsync(() => informer.IsServed);
        Assert.Equal([(ResourceEventType.Added, "web")], Seen(seen));
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_watch_that_fails_again_and_again_is_tried_again_after_growing_waits_not_every_second()
    {
        // A proxy that cuts long requests answers each watch 200 and ends it before any event (KubernetesClient reports that as
        // an error). Before, the informer listed the whole kind again and watched every second for as long as that went on;
        // client-go's reflector backs off, doubling to 30 s.
        var time = new FakeTimeProvider();
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = server.CreateClient();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        var informer = new ResourceInformer<GenericResource>(
            new KubernetesResourceClient<GenericResource>(client, ResourceType.Deployment),
            new InformerOptions { Namespace = "shop", ResyncPeriod = TimeSpan.Zero },
            time,
            NullLogger.Instance);
        server.Faults.CloseWatchesAtOnce(times: 3);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await EventuallyAsync(() => server.Faults.ClosedWatches >= 1);

        // The informer's clock has not moved: it waits for it before watching again.
        Assert.Equal(1, server.Faults.ClosedWatches);
        var waits = new List<TimeSpan>();
        for (var closed = 2; closed <= 3; closed++)
        {
            var target = closed;
            waits.Add(await AdvanceUntilAsync(time, () => server.Faults.ClosedWatches >= target));
        }

        Assert.True(waits[0] >= TimeSpan.FromSeconds(1) && waits[1] >= TimeSpan.FromSeconds(2), $"waited {string.Join(", ", waits)}; expected at least 1 s, then 2 s");

        // The fourth watch stays open: what changes now is seen.
        server.ApplyYaml(Deployment("late", "1"));
        await AdvanceUntilAsync(time, () => informer.Get(new ObjectKey("shop", "late")) is not null);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_watch_the_server_ends_with_nothing_in_it_is_resumed_where_it_stopped_without_listing_again()
    {
        // kube-apiserver ends every watch after its timeout, and load balancers cut idle streams; in a quiet namespace such a
        // watch carries no event. KubernetesClient reports that end as a failed read, and the informer listed the whole
        // kind again with a warning each time, waiting longer each time. client-go's reflector watches again from the last
        // resourceVersion, quietly, unless the watch ended at once (that case is the test above).
        var time = new FakeTimeProvider();
        await using var server = await ShopWithWebAsync();
        using var client = server.CreateClient();
        var logger = new FakeLogger();
        await using var following = await StartFollowingAsync(client, time, logger);
        var informer = following.Informer;

        for (var round = 0; round < 3; round++)
        {
            await EventuallyAsync(() => server.Faults.OpenWatches == 1);
            time.Advance(TimeSpan.FromMinutes(30));
            Assert.Equal(1, server.Faults.DropWatches());
        }

        await EventuallyAsync(() => server.Faults.OpenWatches == 1);
        server.ApplyYaml(Deployment("web", "2"));
        await EventuallyAsync(() => informer.Get(new ObjectKey("shop", "web"))?.Spec?["replicas"]?.ToString() == "2");
        Assert.Equal(1, informer.ListCount);
        Assert.Empty(Warnings(logger));
    }

    [Fact]
    public async Task Across_an_API_server_restart_the_watch_is_resumed_without_listing_again()
    {
        // A control-plane upgrade restarts kube-apiserver: connections are refused for a while, then it serves the same data
        // at the same resourceVersions. client-go's reflector retries the watch from its last resourceVersion after a
        // backoff (isWatchErrorRetriable: connection refused or 429) so the new API server is not met by a LIST of every
        // kind from every client at once. Before, the informer listed again after each refused connection.
        var time = new FakeTimeProvider();
        await using var server = await ShopWithWebAsync();
        using var client = server.CreateClient();
        var logger = new FakeLogger();
        await using var following = await StartFollowingAsync(client, time, logger);
        var informer = following.Informer;

        // The watch has been open a while (not one the server ends at once) when the server goes away.
        await EventuallyAsync(() => server.Faults.OpenWatches == 1);
        time.Advance(TimeSpan.FromMinutes(30));
        await server.StopListeningAsync();
        await AdvanceUntilAsync(time, () => Warnings(logger).Count >= 3);
        await server.StartListeningAsync();
        server.ApplyYaml(Deployment("web", "2"));

        await AdvanceUntilAsync(time, () => informer.Get(new ObjectKey("shop", "web"))?.Spec?["replicas"]?.ToString() == "2");
        Assert.Equal(1, informer.ListCount);
        Assert.All(Warnings(logger), r =>
        {
            Assert.Null(r.Exception);
            Assert.Contains("watching again", r.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_throttled_watch_is_retried_from_where_it_was_without_listing_again()
    {
        // API Priority and Fairness answers 429 while the API server is overloaded, as it is when every client reconnects
        // after a restart: listing again then would add the heaviest request there is (client-go retries the watch).
        var time = new FakeTimeProvider();
        await using var server = await ShopWithWebAsync();
        using var client = server.CreateClient();
        await using var following = await StartFollowingAsync(client, time, NullLogger.Instance);
        var informer = following.Informer;

        await EventuallyAsync(() => server.Faults.OpenWatches == 1);
        time.Advance(TimeSpan.FromMinutes(30));
        server.Faults.Throttle("deployments", method: "GET", times: 2);
        Assert.Equal(1, server.Faults.DropWatches());
        await AdvanceUntilAsync(time, () => server.Faults.InjectedThrottles == 2 && server.Faults.OpenWatches == 1);
        server.ApplyYaml(Deployment("web", "2"));

        await EventuallyAsync(() => informer.Get(new ObjectKey("shop", "web"))?.Spec?["replicas"]?.ToString() == "2");
        Assert.Equal(1, informer.ListCount);
    }

    [Fact]
    public async Task A_restarted_API_server_that_no_longer_has_the_watched_resourceVersion_is_listed_again()
    {
        // The watch retried after the restart gets 410 Gone (the history was compacted meanwhile): then, and only then, list.
        var time = new FakeTimeProvider();
        await using var server = await ShopWithWebAsync();
        using var client = server.CreateClient();
        await using var following = await StartFollowingAsync(client, time, NullLogger.Instance);
        var informer = following.Informer;

        await EventuallyAsync(() => server.Faults.OpenWatches == 1);
        time.Advance(TimeSpan.FromMinutes(30));
        await server.StopListeningAsync();
        server.ApplyYaml(Deployment("web", "2"));
        server.Compact();
        await server.StartListeningAsync();

        await AdvanceUntilAsync(time, () => informer.Get(new ObjectKey("shop", "web"))?.Spec?["replicas"]?.ToString() == "2");
        Assert.Equal(2, informer.ListCount);
    }

    // A server holding namespace shop and its Deployment web at one replica.
    private static async Task<KubernetesTestServer> ShopWithWebAsync()
    {
        var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        server.ApplyYaml(Deployment("web", "1"));
        return server;
    }

    private static async Task<FollowingInformer> StartFollowingAsync(IKubernetes client, FakeTimeProvider time, ILogger logger)
    {
        var informer = new ResourceInformer<GenericResource>(
            new KubernetesResourceClient<GenericResource>(client, ResourceType.Deployment),
            new InformerOptions { Namespace = "shop", ResyncPeriod = TimeSpan.Zero },
            time,
            logger);
        var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return new FollowingInformer(informer, running, stop);
    }

    /// <summary>A running informer; disposing stops it and waits for its loop to end.</summary>
    private sealed record FollowingInformer(ResourceInformer<GenericResource> Informer, Task Running, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running.WaitAsync(TimeSpan.FromSeconds(30));
            Stop.Dispose();
        }
    }

    private static List<FakeLogRecord> Warnings(FakeLogger logger) => [.. logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Warning)];

    // Moves the informer's clock in small steps until the condition holds; returns how far it moved.
    private static async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        var step = TimeSpan.FromMilliseconds(100);
        var moved = TimeSpan.Zero;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
            time.Advance(step);
            moved += step;
        }

        return moved;
    }

    // A Deployment informer that records every event it hands out.
    private static (ResourceInformer<GenericResource> Informer, List<(ResourceEventType Type, string Name)> Seen) Deployments(IKubernetes client, InformerOptions options)
    {
        var informer = new ResourceInformer<GenericResource>(
            new KubernetesResourceClient<GenericResource>(client, ResourceType.Deployment), options, TimeProvider.System, NullLogger.Instance);
        var seen = new List<(ResourceEventType Type, string Name)>();
        informer.AddHandler((type, item) =>
        {
            lock (seen)
            {
                seen.Add((type, item.Metadata.Name));
            }
        });
        return (informer, seen);
    }

    private static string Deployment(string name, string replicas, string owner = "shop") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{name}}
          namespace: shop
          labels: {owner: {{owner}}}
        spec:
          replicas: {{replicas}}
          selector:
            matchLabels: {app: {{name}}}
          template:
            metadata:
              labels: {app: {{name}}}
            spec:
              containers:
              - name: app
                image: registry.example/app:1
        """;

    private static List<(ResourceEventType, string)> Seen(List<(ResourceEventType Type, string Name)> seen)
    {
        lock (seen)
        {
            return [.. seen.Where(s => s.Type != ResourceEventType.Resync)];
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
