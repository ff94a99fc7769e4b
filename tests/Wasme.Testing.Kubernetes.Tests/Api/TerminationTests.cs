using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>
/// What a delete leaves behind while something still holds it, as kube-apiserver, apiextensions-apiserver's CRD
/// finalizer and kube-controller-manager's namespace controller leave it: a terminating CRD keeps serving its
/// instances until each one's finalizers are gone, a terminating namespace says what it waits for, and a second
/// delete or a dry run answers as the real registries answer.
/// </summary>
public sealed class TerminationTests : IAsyncLifetime
{
    private const string Cleanup = "customresourcecleanup.apiextensions.k8s.io";
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
    public async Task DeletingACrd_DeletesItsInstancesHonouringTheirFinalizers_AndRefusesNewOnesMeanwhile()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        _server.ApplyYaml("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: held, finalizers: [example.com/hold]}\nspec: {size: 1}\n");
        _server.ApplyYaml(Manifests.Widget("free", 1));

        await _client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.example.com");
        await _server.SettleGarbageCollectionAsync();

        // The CRD waits, marked, with the finalizer its registry added and the condition its finalizer controller set.
        var crd = await _client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.example.com");
        Assert.NotNull(crd.Metadata.DeletionTimestamp);
        Assert.Equal([Cleanup], crd.Metadata.Finalizers);
        var terminating = crd.Status.Conditions.Single(c => c.Type == "Terminating");
        Assert.Equal(("True", "InstanceDeletionInProgress", "CustomResource deletion is in progress"), (terminating.Status, terminating.Reason, terminating.Message));
        // The instance without finalizers is gone; the held one is marked and still readable.
        var widgets = await ListWidgetsAsync();
        Assert.Equal(["held"], widgets.Select(w => (string?)w["metadata"]!["name"]));
        Assert.NotNull(widgets[0]["metadata"]!["deletionTimestamp"]);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "late" }, ["spec"] = new JsonObject { ["size"] = 1 } },
            "example.com", "v1", "default", "widgets"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        Assert.Equal("widgets.example.com \"late\" is forbidden: create not allowed while custom resource definition is terminating", Status(refused).Message);

        // The controller that owns the finalizer finishes: the instance goes, then the CRD and what it served.
        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "held");
        await _server.SettleGarbageCollectionAsync();

        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.example.com"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.DoesNotContain(_server.Resources.All, r => r.Plural == "widgets");
    }

    [Fact]
    public async Task ATerminatingCrd_AllowsUpdatesOfItsInstances_AndDiscoveryOffersOnlyReadAndDeleteVerbs()
    {
        _server.ApplyYaml(Manifests.WidgetCrd);
        _server.ApplyYaml("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: held, finalizers: [example.com/hold]}\nspec: {size: 1}\n");

        await _client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.example.com");
        await _server.SettleGarbageCollectionAsync();

        // A controller must still be able to write status and take its finalizer away.
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"False"}]}}""", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "held");
        var resources = await _client.CustomObjects.GetAPIResourcesAsync("example.com", "v1");
        Assert.Equal(["delete", "deletecollection", "get", "list", "watch"], resources.Resources.Single(r => r.Name == "widgets").Verbs);
    }

    [Fact]
    public async Task ATerminatingNamespace_NamesWhatItWaitsFor_AndASecondDeleteIsAConflict()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["example.com/hold"] } }, "team");
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "free" } }, "team");

        await _client.CoreV1.DeleteNamespaceAsync("team");
        await _server.SettleGarbageCollectionAsync();

        var ns = await _client.CoreV1.ReadNamespaceAsync("team");
        Assert.Equal("Terminating", ns.Status.Phase);
        Assert.Equal(
            [
                "NamespaceDeletionDiscoveryFailure False ResourcesDiscovered All resources successfully discovered",
                "NamespaceDeletionGroupVersionParsingFailure False ParsedGroupVersions All legacy kube types successfully parsed",
                "NamespaceDeletionContentFailure False ContentDeleted All content successfully deleted, may be waiting on finalization",
                "NamespaceContentRemaining True SomeResourcesRemain Some resources are remaining: configmaps. has 1 resource instances",
                "NamespaceFinalizersRemaining True SomeFinalizersRemain Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
            ],
            ns.Status.Conditions.Select(c => $"{c.Type} {c.Status} {c.Reason} {c.Message}"));
        Assert.Equal(["held"], (await _client.CoreV1.ListNamespacedConfigMapAsync("team")).Items.Select(c => c.Metadata.Name));

        var again = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.DeleteNamespaceAsync("team"));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Equal("Operation cannot be fulfilled on namespaces \"team\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.", Status(again).Message);

        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "held", "team");
        await _server.SettleGarbageCollectionAsync();

        Assert.DoesNotContain((await _client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "team");
    }

    [Fact]
    public async Task ADryRunDelete_AnswersAsTheRealDeleteWould_AndChangesNothing()
    {
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "free" } }, "default");
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["example.com/hold"] } }, "default");
        var before = _server.ResourceVersion;

        using var http = _server.CreateHttpClient(_server.CreateClientConfiguration().AccessToken);

        using var free = await http.DeleteAsync(new Uri("/api/v1/namespaces/default/configmaps/free?dryRun=All", UriKind.Relative));
        using var held = await http.DeleteAsync(new Uri("/api/v1/namespaces/default/configmaps/held?dryRun=All", UriKind.Relative));

        var freeBody = JsonNode.Parse(await free.Content.ReadAsStringAsync())!;
        Assert.Equal(("Status", "Success"), ((string?)freeBody["kind"], (string?)freeBody["status"]));
        var heldBody = JsonNode.Parse(await held.Content.ReadAsStringAsync())!;
        Assert.Equal("ConfigMap", (string?)heldBody["kind"]);
        Assert.NotNull(heldBody["metadata"]!["deletionTimestamp"]);
        Assert.Equal(before, _server.ResourceVersion);
        Assert.Null((await _client.CoreV1.ReadNamespacedConfigMapAsync("held", "default")).Metadata.DeletionTimestamp);
    }

    [Fact]
    public async Task TheNamespaceIsJudgedBeforeTheObject_AsAdmissionRunsBeforeValidation()
    {
        // NamespaceLifecycle is a mutating admission plugin: an object that would also be invalid gets its 404 or 403.
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["example.com/hold"] } }, "team");
        await _client.CoreV1.DeleteNamespaceAsync("team");
        var invalid = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "bad" }, Data = new Dictionary<string, string> { ["no spaces"] = "x" } };

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedConfigMapAsync(invalid, "nowhere"));
        var terminating = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedConfigMapAsync(invalid, "team"));

        Assert.Equal((HttpStatusCode.NotFound, "namespaces \"nowhere\" not found"), (missing.Response.StatusCode, Status(missing).Message));
        Assert.Equal(HttpStatusCode.Forbidden, terminating.Response.StatusCode);
    }

    private async Task<List<JsonObject>> ListWidgetsAsync()
    {
        var list = JsonNode.Parse(KubernetesJson.Serialize(await _client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets")))!;
        return [.. ((JsonArray)list["items"]!).OfType<JsonObject>()];
    }

    private static V1Status Status(HttpOperationException e) => KubernetesJson.Deserialize<V1Status>(e.Response.Content);
}
