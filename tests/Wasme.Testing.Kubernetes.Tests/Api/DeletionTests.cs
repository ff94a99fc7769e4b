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

    [Fact]
    public async Task AReferenceToAnOwnerInAnotherNamespace_CountsAsAbsentAndTheDependentIsCollected()
    {
        // kube-controller-manager looks a namespaced owner up in the dependent's namespace: an operator that set a
        // cross-namespace owner would see its objects deleted as soon as it made them, though the owner lives.
        var owner = await CreateAsync("owner");
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "elsewhere" } });
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "dependent", OwnerReferences = [Reference(owner)] },
        }, "elsewhere");

        await _server.SettleGarbageCollectionAsync();

        Assert.Empty((await _client.CoreV1.ListNamespacedConfigMapAsync("elsewhere")).Items);
        Assert.NotNull(await _client.CoreV1.ReadNamespacedConfigMapAsync("owner", "default"));
    }

    [Fact]
    public async Task AReferenceWhoseKindOrNameIsNotTheOwners_CountsAsAbsent_AndAnUnservedKindKeepsTheDependent()
    {
        var owner = await CreateAsync("owner");
        var wrongKind = Reference(owner);
        wrongKind.Kind = "Secret";
        var wrongName = Reference(owner);
        wrongName.Name = "someone-else";
        var unserved = Reference(owner);
        unserved.ApiVersion = "example.com/v1";
        unserved.Kind = "Widget";

        await CreateWithAsync("wrong-kind", wrongKind);
        await CreateWithAsync("wrong-name", wrongName);
        await CreateWithAsync("unserved", unserved);
        await CreateWithAsync("right", Reference(owner));
        await _server.SettleGarbageCollectionAsync();

        var left = (await _client.CoreV1.ListNamespacedConfigMapAsync("default")).Items.Select(c => c.Metadata.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["owner", "right", "unserved"], left);
    }

    [Theory]
    [InlineData("uid", "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty")]
    [InlineData("name", "metadata.ownerReferences.name: Invalid value: \"\": name must not be empty")]
    [InlineData("kind", "metadata.ownerReferences.kind: Invalid value: \"\": kind must not be empty")]
    [InlineData("apiVersion", "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty")]
    public async Task AnOwnerReferenceWithoutAField_IsRefusedAsKubeApiserverRefusesIt(string missing, string expected)
    {
        var owner = await CreateAsync("owner");
        var reference = Reference(owner);
        _ = missing switch
        {
            "uid" => reference.Uid = "",
            "name" => reference.Name = "",
            "kind" => reference.Kind = "",
            _ => reference.ApiVersion = "",
        };

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => CreateWithAsync("dependent", reference));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Equal($"ConfigMap \"dependent\" is invalid: {expected}", Status(refused).Message);
    }

    [Fact]
    public async Task TwoControllerReferences_AreRefusedOnCreateAndOnUpdate()
    {
        var first = await CreateAsync("first");
        var second = await CreateAsync("second");
        var controllerOfFirst = Reference(first);
        controllerOfFirst.Controller = true;
        var controllerOfSecond = Reference(second);
        controllerOfSecond.Controller = true;
        await CreateWithAsync("dependent", controllerOfFirst);

        // The adoption mistake: adding a second controller beside the one already there.
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch(KubernetesJson.Serialize(new { metadata = new { ownerReferences = new[] { controllerOfFirst, controllerOfSecond } } }), V1Patch.PatchType.MergePatch),
            "dependent", "default"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.StartsWith("ConfigMap \"dependent\" is invalid: metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"v1\", Kind:\"ConfigMap\", Name:\"first\"", Status(refused).Message, StringComparison.Ordinal);
        Assert.EndsWith(": Only one reference can have Controller set to true. Found \"true\" in references for ConfigMap/first and ConfigMap/second", Status(refused).Message, StringComparison.Ordinal);
        Assert.Equal([first.Metadata.Uid], (await _client.CoreV1.ReadNamespacedConfigMapAsync("dependent", "default")).Metadata.OwnerReferences.Select(o => o.Uid));
    }

    private static V1Status Status(HttpOperationException e) => KubernetesJson.Deserialize<V1Status>(e.Response.Content);

    private static V1OwnerReference Reference(V1ConfigMap owner) =>
        new() { ApiVersion = "v1", Kind = "ConfigMap", Name = owner.Metadata.Name, Uid = owner.Metadata.Uid };

    private Task<V1ConfigMap> CreateWithAsync(string name, V1OwnerReference reference) =>
        _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, OwnerReferences = [reference] } }, "default");

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
