using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>Finalizers, propagation policies, owner-reference garbage collection and namespace termination.</summary>
public sealed class DeletionTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private IKubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task DeletingTheOwner_CollectsItsDependentInTheBackground()
    {
        var owner = await CreateAsync("owner");
        await CreateAsync("dependent", owners: [owner]);
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default");
        await using var watch = new WatchCollector<V1ConfigMap>((onError, ct) => _client.CoreV1.WatchListNamespacedConfigMapAsync(
            "default", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct));

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default");

        var seen = await watch.TakeAsync(2);
        Assert.Equal(["Deleted owner", "Deleted dependent"], seen.Select(e => $"{e.Type} {e.Object.Metadata.Name}"));
    }

    [Fact]
    public async Task DependentWithAnotherLiveOwner_IsKept()
    {
        var first = await CreateAsync("first");
        var second = await CreateAsync("second");
        await CreateAsync("shared", owners: [first, second]);

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("first", "default");
        await _server.SettleGarbageCollectionAsync();

        Assert.NotNull(await _client.CoreV1.ReadNamespacedConfigMapAsync("shared", "default"));
    }

    [Fact]
    public async Task ForegroundDeletion_KeepsTheOwnerUntilDependentsAreGone()
    {
        var owner = await CreateAsync("owner");
        await CreateAsync("dependent", owners: [owner], finalizers: ["example.com/hold"]);

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Foreground");
        await _server.SettleGarbageCollectionAsync();

        var marked = await _client.CoreV1.ReadNamespacedConfigMapAsync("owner", "default");
        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", marked.Metadata.Finalizers);
        Assert.NotNull((await _client.CoreV1.ReadNamespacedConfigMapAsync("dependent", "default")).Metadata.DeletionTimestamp);

        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "dependent", "default");
        await _server.SettleGarbageCollectionAsync();

        Assert.Empty((await _client.CoreV1.ListNamespacedConfigMapAsync("default")).Items);
    }

    [Fact]
    public async Task OrphanDeletion_KeepsDependentsAndDropsTheirOwnerReference()
    {
        var owner = await CreateAsync("owner");
        await CreateAsync("dependent", owners: [owner]);

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Orphan");
        await _server.SettleGarbageCollectionAsync();

        var orphan = await _client.CoreV1.ReadNamespacedConfigMapAsync("dependent", "default");
        Assert.Null(orphan.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task FinalizerHeld_ObjectStaysMarkedAndRejectsNewFinalizers()
    {
        await CreateAsync("held", finalizers: ["example.com/hold"]);

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("held", "default");

        var marked = await _client.CoreV1.ReadNamespacedConfigMapAsync("held", "default");
        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        var forbidden = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"metadata":{"finalizers":["example.com/hold","example.com/another"]}}""", V1Patch.PatchType.MergePatch), "held", "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forbidden.Response.StatusCode);

        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":[]}}""", V1Patch.PatchType.MergePatch), "held", "default");

        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedConfigMapAsync("held", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task MarkingForDeletion_BumpsTheGenerationOnce()
    {
        // Controllers that compare status.observedGeneration with metadata.generation see the delete as a change.
        _server.ApplyYaml(Support.Manifests.WidgetCrd);
        _server.ApplyYaml("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gizmo, finalizers: [example.com/hold]}\nspec: {size: 1}\n");

        await _client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "gizmo");
        await _client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "gizmo");

        var marked = _server.Get("example.com/v1", "Widget", "default", "gizmo")!;
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.Equal(2, marked["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeletingANamespace_RemovesItsContentsThenItself()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "doomed");

        await _client.CoreV1.DeleteNamespaceAsync("doomed");
        await _server.SettleGarbageCollectionAsync();

        Assert.DoesNotContain((await _client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "doomed");
        Assert.Empty((await _client.CoreV1.ListConfigMapForAllNamespacesAsync()).Items);
    }

    [Fact]
    public async Task DeleteWithStaleUidPrecondition_Is409()
    {
        await CreateAsync("c");

        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.DeleteNamespacedConfigMapAsync(
            "c", "default", new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "not-the-uid" } }));

        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.NotNull(await _client.CoreV1.ReadNamespacedConfigMapAsync("c", "default"));
    }

    private async Task<V1ConfigMap> CreateAsync(string name, V1ConfigMap[]? owners = null, string[]? finalizers = null) =>
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Finalizers = finalizers,
                OwnerReferences = owners?.Select(o => new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = o.Metadata.Name, Uid = o.Metadata.Uid }).ToList(),
            },
        }, "default");
}
