using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>KubernetesClient CRUD against the test server: typed, generic, and the error bodies it parses.</summary>
public sealed class ClientCrudTests : IAsyncLifetime
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
    public async Task TypedCrud_CreateReadReplaceListDelete()
    {
        var created = await _client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings", Labels = new Dictionary<string, string> { ["app"] = "x" } }, Data = new Dictionary<string, string> { ["a"] = "1" } },
            "default");
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);

        var read = await _client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default");
        read.Data["a"] = "2";
        var replaced = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "settings", "default");
        Assert.Equal("2", replaced.Data["a"]);
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));
        Assert.Equal(created.Metadata.Uid, replaced.Metadata.Uid);

        var list = await _client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app=x");
        Assert.Equal("settings", Assert.Single(list.Items).Metadata.Name);
        Assert.False(string.IsNullOrEmpty(list.Metadata.ResourceVersion));

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("settings", "default");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task ClusterScopedCrud_Namespaces()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-a" } });

        var ns = await _client.CoreV1.ReadNamespaceAsync("team-a");
        Assert.Equal("Active", ns.Status.Phase);
        Assert.Contains((await _client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "team-a");
    }

    [Fact]
    public async Task Replace_WithStaleResourceVersion_Is409Conflict()
    {
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default");
        var first = await _client.CoreV1.ReadNamespacedConfigMapAsync("c", "default");
        var second = await _client.CoreV1.ReadNamespacedConfigMapAsync("c", "default");
        first.Data = new Dictionary<string, string> { ["who"] = "first" };
        await _client.CoreV1.ReplaceNamespacedConfigMapAsync(first, "c", "default");

        second.Data = new Dictionary<string, string> { ["who"] = "second" };
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedConfigMapAsync(second, "c", "default"));

        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var status = Status(conflict);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal("Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again", status.Message);
        Assert.Equal("first", (await _client.CoreV1.ReadNamespacedConfigMapAsync("c", "default")).Data["who"]);
    }

    [Fact]
    public async Task Create_Twice_Is409AlreadyExists_AndMissingNamespaceIs404()
    {
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } };
        await _client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");

        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default"));
        Assert.Equal("AlreadyExists", Status(duplicate).Reason);
        Assert.Equal("configmaps \"c\" already exists", Status(duplicate).Message);

        var noNamespace = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedConfigMapAsync(cm, "nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, noNamespace.Response.StatusCode);
        Assert.Equal("namespaces \"nowhere\" not found", Status(noNamespace).Message);
    }

    [Fact]
    public async Task GenericClient_CustomResources_StatusSubresourceSeparatesSpecAndStatus()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        using var widgets = new GenericClient(_client, "example.com", "v1", "widgets", disposeClient: false);
        var typed = await widgets.CreateNamespacedAsync(new WidgetResource
        {
            Metadata = new V1ObjectMeta { Name = "gizmo" },
            Spec = new WidgetSpec { Size = 3 },
            Status = new JsonObject { ["note"] = "ignored on create" },
        }, "default");
        Assert.Null(typed.Status);
        Assert.Equal("red", typed.Spec.Color);

        var created = Parse(typed);
        created["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };
        var withStatus = Parse(await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, "example.com", "v1", "default", "widgets", "gizmo"));
        Assert.Equal("True", withStatus["status"]!["conditions"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(1, withStatus["metadata"]!["generation"]!.GetValue<long>());

        withStatus["spec"]!["size"] = 4;
        withStatus["status"] = new JsonObject();
        var respecced = Parse(await _client.CustomObjects.ReplaceNamespacedCustomObjectAsync(withStatus, "example.com", "v1", "default", "widgets", "gizmo"));
        Assert.Equal(4, respecced["spec"]!["size"]!.GetValue<long>());
        Assert.Equal(2, respecced["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("True", respecced["status"]!["conditions"]![0]!["status"]!.GetValue<string>());

        var fetched = await widgets.ReadNamespacedAsync<WidgetResource>("default", "gizmo");
        Assert.Equal(respecced["metadata"]!["resourceVersion"]!.GetValue<string>(), fetched.Metadata.ResourceVersion);
        Assert.Equal(4, fetched.Spec.Size);
    }

    [Fact]
    public async Task InvalidCustomResource_Is422WithFieldCauses()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        var widget = Widget("gizmo", 0);
        widget["spec"]!.AsObject().Remove("size");
        widget["spec"]!["tags"] = new JsonObject { ["team"] = 7 };

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.CreateNamespacedCustomObjectAsync(widget, "example.com", "v1", "default", "widgets"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        var status = Status(invalid);
        Assert.Equal("Invalid", status.Reason);
        Assert.Equal(
            ["spec.size:FieldValueRequired", "spec.tags.team:FieldValueTypeInvalid"],
            status.Details.Causes.Select(c => $"{c.Field}:{c.Reason}").Order());
        Assert.StartsWith("Widget.example.com \"gizmo\" is invalid: [", status.Message);
    }

    [Fact]
    public async Task UpdateOfCustomResource_WithoutResourceVersion_IsRejected()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("gizmo", 1), "example.com", "v1", "default", "widgets");

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Widget("gizmo", 2), "example.com", "v1", "default", "widgets", "gizmo"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        Assert.Equal("widgets.example.com \"gizmo\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", Status(invalid).Message);
    }

    [Fact]
    public async Task StatusUpdateOfCustomResource_WithoutResourceVersion_IsRejected()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("gizmo", 1), "example.com", "v1", "default", "widgets");
        var withStatus = Widget("gizmo", 1);
        withStatus["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(withStatus, "example.com", "v1", "default", "widgets", "gizmo"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        Assert.Equal("widgets.example.com \"gizmo\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", Status(invalid).Message);
    }

    [Fact]
    public async Task Patches_MergeJsonAndStrategic()
    {
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } }, "default");

        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":null,"c":"3"}}""", V1Patch.PatchType.MergePatch), "c", "default");
        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""[{"op":"replace","path":"/data/b","value":"20"}]""", V1Patch.PatchType.JsonPatch), "c", "default");
        var patched = await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"l":"v"}}}""", V1Patch.PatchType.StrategicMergePatch), "c", "default");

        Assert.Equal(new Dictionary<string, string> { ["b"] = "20", ["c"] = "3" }, patched.Data);
        Assert.Equal("v", patched.Metadata.Labels["l"]);
    }

    [Fact]
    public async Task StrategicMergePatch_OnCustomResource_Is415()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("gizmo", 1), "example.com", "v1", "default", "widgets");

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"size":2}}""", V1Patch.PatchType.StrategicMergePatch), "example.com", "v1", "default", "widgets", "gizmo"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.Response.StatusCode);
    }

    [Fact]
    public async Task Create_OfAnObjectCarryingAResourceVersion_IsRefusedByStorage()
    {
        // Creating a copy of an object read earlier, resourceVersion and all, is refused by etcd3's store as a 500 that is
        // not a Status of its own (kubectl strips the version before it creates; client libraries do not).
        var copy = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c", ResourceVersion = "42" } };

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedConfigMapAsync(copy, "default"));
        var dryRun = await _client.CoreV1.CreateNamespacedConfigMapAsync(copy, "default", dryRun: "All");

        Assert.Equal(HttpStatusCode.InternalServerError, refused.Response.StatusCode);
        Assert.Equal("resourceVersion should not be set on objects to be created", Status(refused).Message);
        Assert.True(string.IsNullOrEmpty(Status(refused).Reason));
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedConfigMapAsync("c", "default"))).Response.StatusCode);

        // A dry run never reaches etcd3's store, so nothing checks the version there.
        Assert.Equal("c", dryRun.Metadata.Name);
    }

    [Fact]
    public async Task Replace_WithAnotherNameAndNamespace_NamesTheNamespaceFirst()
    {
        // The update handler checks the object's namespace against the request's before its name against the URL's.
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default");
        var moved = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b", NamespaceProperty = "kube-system" } };

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedConfigMapAsync(moved, "a", "default"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Equal("the namespace of the provided object does not match the namespace sent on the request", Status(refused).Message);
    }

    [Fact]
    public async Task DryRun_ValidatesButDoesNotPersist()
    {
        var result = await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", dryRun: "All");

        Assert.Equal("c", result.Metadata.Name);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedConfigMapAsync("c", "default"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [Fact]
    public async Task DeletingACrd_StopsServingItsKind()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("gizmo", 1), "example.com", "v1", "default", "widgets");

        await _client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.example.com");
        // As in a real cluster, the CRD finalizer deletes the instances first, then the CRD goes.
        await _server.SettleGarbageCollectionAsync();

        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.DoesNotContain(_server.Resources.All, r => r.Group == "example.com");
    }

    internal static JsonObject Widget(string name, int size) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["size"] = size },
    };

    private static JsonObject Parse(object body) => JsonNode.Parse(KubernetesJson.Serialize(body))!.AsObject();

    private static V1Status Status(HttpOperationException e) => KubernetesJson.Deserialize<V1Status>(e.Response.Content);
}
