using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>List+watch as informers do it: resume from a resourceVersion, 410 after compaction, bookmarks, selectors, timeouts.</summary>
public sealed class WatchTests : IAsyncLifetime
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
    public async Task WatchFromListResourceVersion_DeliversEveryLaterChangeOnceInOrder()
    {
        await CreateAsync("before");
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        await CreateAsync("a");
        await CreateAsync("b");
        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"v"}}""", V1Patch.PatchType.MergePatch), "a", "default");
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("b", "default");

        await using var watch = Watch(list.Metadata.ResourceVersion);
        var seen = await watch.TakeAsync(4);

        Assert.Equal(["Added a", "Added b", "Modified a", "Deleted b"], seen.Select(e => $"{e.Type} {e.Object.Metadata.Name}"));
        Assert.Equal("v", seen[2].Object.Data["k"]);
        await CreateAsync("live");
        Assert.Equal("live", (await watch.TakeAsync(1))[0].Object.Metadata.Name);
    }

    [Fact]
    public async Task WatchWithoutResourceVersion_StartsWithTheCurrentObjects()
    {
        await CreateAsync("existing");

        await using var watch = Watch(resourceVersion: null);

        var first = (await watch.TakeAsync(1))[0];
        Assert.Equal((WatchEventType.Added, "existing"), (first.Type, first.Object.Metadata.Name));
    }

    [Fact]
    public async Task WatchFromCompactedResourceVersion_Is410Expired()
    {
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        await CreateAsync("a");
        _server.Compact();

        await using var watch = Watch(list.Metadata.ResourceVersion);
        var events = await watch.TakeAllAsync();

        Assert.Empty(events);
        var error = Assert.IsType<KubernetesException>(Assert.Single(watch.Errors));
        Assert.Equal(410, error.Status.Code);
        Assert.Equal("Expired", error.Status.Reason);

        // A fresh list gives a resourceVersion that watches again.
        var relist = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        await using var resumed = Watch(relist.Metadata.ResourceVersion);
        await CreateAsync("b");
        Assert.Equal("b", (await resumed.TakeAsync(1))[0].Object.Metadata.Name);
    }

    [Fact]
    public async Task WatchAllowingBookmarks_GetsBookmarkAtTheCurrentResourceVersion()
    {
        await using var watch = Watch(resourceVersion: null, bookmarks: true);
        await CreateAsync("a");
        await watch.TakeAsync(1);

        _server.SendBookmarks();

        var bookmark = (await watch.TakeAsync(1))[0];
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Equal(_server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), bookmark.Object.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task WatchWithLabelSelector_ObjectLeavingTheSelectionIsDeleted()
    {
        // From a list's resourceVersion, as informers watch: the changes below reach the watch however late its request
        // gets to the server. Watching from "now", a request that arrived after the patch saw no event at all.
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        await using var watch = Watch(list.Metadata.ResourceVersion, labelSelector: "app=x");
        await CreateAsync("other");
        await CreateAsync("a", "x");
        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"app":"y"}}}""", V1Patch.PatchType.MergePatch), "a", "default");

        var seen = await watch.TakeAsync(2);

        Assert.Equal(["Added a", "Deleted a"], seen.Select(e => $"{e.Type} {e.Object.Metadata.Name}"));
    }

    [Fact]
    public async Task WatchWithTimeoutSeconds_EndsWithABookmarkWhenTheTimeIsUp()
    {
        await using var watch = Watch(resourceVersion: null, bookmarks: true, timeoutSeconds: 20);
        await CreateAsync("a");
        await watch.TakeAsync(1);

        _time.Advance(TimeSpan.FromSeconds(21));

        var rest = await watch.TakeAllAsync();
        Assert.Equal(WatchEventType.Bookmark, Assert.Single(rest).Type);
        Assert.Empty(watch.Errors);
    }

    private async Task CreateAsync(string name, string? app = null) =>
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = app is null ? null : new Dictionary<string, string> { ["app"] = app } },
        }, "default");

    private WatchCollector<V1ConfigMap> Watch(string? resourceVersion, bool bookmarks = false, string? labelSelector = null, int? timeoutSeconds = null) =>
        new((onError, ct) => _client.CoreV1.WatchListNamespacedConfigMapAsync(
            "default", allowWatchBookmarks: bookmarks, labelSelector: labelSelector, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct));
}
