using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Apply;

/// <summary>Server-side apply with field ownership, through kubectl as users run it (issue 13).</summary>
public sealed class ServerSideApplyTests : IAsyncLifetime
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default, labels: {app: web}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: app, image: example.com/web:1}
        """;

    // A CRD whose lists say how they merge: map by name, set, and (by default) atomic.
    private const string GadgetCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: gadgets.example.com}
        spec:
          group: example.com
          names: {kind: Gadget, plural: gadgets, singular: gadget}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: integer}
                      parts:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [name]
                        items:
                          type: object
                          required: [name]
                          properties:
                            name: {type: string}
                            count: {type: integer}
                      tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
                      args: {type: array, items: {type: string}}
                  status:
                    type: object
                    properties:
                      phase: {type: string}
        """;

    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TwoManagersApplyingOneField_SecondIsRefusedWithKubeApiserversConflict()
    {
        await ApplyAsync("alice", Deployment);

        var result = await _kubectl.RunAsync("apply", "--server-side", "--field-manager=bob", "-f", Write(Deployment.Replace("replicas: 2", "replicas: 5", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas", result.Stderr);
        Assert.Contains("--force-conflicts", result.Stderr);
        Assert.Equal("2", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
    }

    [Fact]
    public async Task ApplyOverAnUpdatersField_ConflictNamesTheUpdaterAndItsVersion_InTheStatusCauses()
    {
        await ApplyAsync("kubectl", Deployment);
        await _kubectl.SucceedAsync("patch", "deploy", "web", "--type", "merge", "-p", """{"spec":{"replicas":3}}""");
        using var client = _server.CreateClient();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":4}}""", V1Patch.PatchType.ApplyPatch),
            "web", "default", fieldManager: "kubectl"));

        Assert.Equal(System.Net.HttpStatusCode.Conflict, error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-patch\" using apps/v1: .spec.replicas", status["message"]!.GetValue<string>());
        var cause = status["details"]!["causes"]!.AsArray().Single()!;
        Assert.Equal("FieldManagerConflict", cause["reason"]!.GetValue<string>());
        Assert.Equal("conflict with \"kubectl-patch\" using apps/v1", cause["message"]!.GetValue<string>());
        Assert.Equal(".spec.replicas", cause["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task SeveralConflicts_AreListedByManager()
    {
        await ApplyAsync("alice", Deployment);
        await _kubectl.SucceedAsync("patch", "deploy", "web", "--type", "merge", "-p", """{"spec":{"replicas":3}}""");
        var changed = Deployment.Replace("replicas: 2", "replicas: 5", StringComparison.Ordinal).Replace("web:1", "web:2", StringComparison.Ordinal);

        var result = await _kubectl.RunAsync("apply", "--server-side", "--field-manager=bob", "-f", Write(changed));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("""
            error: Apply failed with 2 conflicts: conflicts with "alice":
            - .spec.template.spec.containers[name="app"].image
            conflicts with "kubectl-patch" using apps/v1:
            - .spec.replicas
            """, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForceConflicts_TakesTheFieldFromItsOwner()
    {
        await ApplyAsync("alice", Deployment);
        var path = Write(Deployment.Replace("replicas: 2", "replicas: 5", StringComparison.Ordinal));

        await _kubectl.SucceedAsync("apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", path);

        Assert.Equal("5", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
        var managed = await ManagedFieldsAsync();
        Assert.NotNull(managed["bob"]!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Null(managed["alice"]!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        // Fields both applied with the same value are shared, not taken.
        Assert.NotNull(managed["alice"]!["fieldsV1"]!["f:metadata"]!["f:labels"]!["f:app"]);
    }

    [Fact]
    public async Task FieldDroppedFromTheApply_IsRemoved()
    {
        var full = Deployment
            .Replace("labels: {app: web}}", "labels: {app: web, tier: gold}}", StringComparison.Ordinal)
            .Replace("- {name: app, image: example.com/web:1}", "- {name: app, image: example.com/web:1}\n      - {name: sidecar, image: example.com/sidecar:1}", StringComparison.Ordinal);
        await ApplyAsync("kubectl", full);
        Assert.Equal("app sidecar", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].name}"));

        await ApplyAsync("kubectl", Deployment);

        Assert.Equal("app", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].name}"));
        Assert.Equal("""{"app":"web"}""", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.metadata.labels}"));
    }

    [Fact]
    public async Task FieldCoOwnedByAnotherManager_StaysWhenOneDropsIt()
    {
        var labelled = Deployment.Replace("labels: {app: web}}", "labels: {app: web, tier: gold}}", StringComparison.Ordinal);
        await ApplyAsync("alice", labelled);
        await ApplyAsync("bob", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: default, labels: {tier: gold}}
            """);

        await ApplyAsync("alice", Deployment);

        Assert.Equal("gold", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.metadata.labels.tier}"));
        var managed = await ManagedFieldsAsync();
        Assert.Null(managed["alice"]!["fieldsV1"]!["f:metadata"]!["f:labels"]!["f:tier"]);
        Assert.NotNull(managed["bob"]!["fieldsV1"]!["f:metadata"]!["f:labels"]!["f:tier"]);
    }

    [Fact]
    public async Task ContainersFromTwoManagers_MergeByName_EachOwningItsOwn()
    {
        await ApplyAsync("alice", Deployment);

        await ApplyAsync("bob", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: default}
            spec:
              template:
                spec:
                  containers:
                  - {name: sidecar, image: example.com/sidecar:1}
            """);

        Assert.Equal("app sidecar", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].name}"));
        var managed = await ManagedFieldsAsync();
        var bobs = managed["bob"]!["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!.AsObject();
        Assert.Equal(["k:{\"name\":\"sidecar\"}"], bobs.Select(p => p.Key));
        Assert.NotNull(managed["alice"]!["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"app\"}"]);
    }

    [Fact]
    public async Task PortWithoutProtocol_IsTheSameItemAsItsTcpDefault()
    {
        await ApplyAsync("alice", Deployment.Replace("image: example.com/web:1}", "image: example.com/web:1, ports: [{containerPort: 80}]}", StringComparison.Ordinal));

        await ApplyAsync("bob", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: default}
            spec:
              template:
                spec:
                  containers:
                  - {name: app, ports: [{containerPort: 80, protocol: TCP, name: http}]}
            """);

        Assert.Equal("80", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].ports[*].containerPort}"));
        var alices = (await ManagedFieldsAsync())["alice"]!["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"app\"}"]!["f:ports"]!.AsObject();
        Assert.Equal(["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"], alices.Select(p => p.Key));
    }

    [Fact]
    public async Task CustomResourceLists_MergeAsTheirSchemaSays_MapBySetOrWhole()
    {
        await _kubectl.SucceedAsync("apply", "--server-side", "-f", Write(GadgetCrd));
        await ApplyAsync("alice", Gadget("parts: [{name: wheel, count: 4}], tags: [red], args: [a, b]"));

        await ApplyAsync("bob", Gadget("parts: [{name: bell, count: 1}], tags: [loud], args: [c]"), "--force-conflicts");

        var spec = _server.Get("example.com/v1", "Gadget", "default", "g")!["spec"]!;
        Assert.Equal(["wheel", "bell"], spec["parts"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal(["red", "loud"], spec["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(["c"], spec["args"]!.AsArray().Select(t => t!.GetValue<string>()));
        var bobs = (await ManagedFieldsAsync("gadget", "g"))["bob"]!["fieldsV1"]!["f:spec"]!.AsObject();
        Assert.NotNull(bobs["f:parts"]!["k:{\"name\":\"bell\"}"]!["f:count"]);
        Assert.NotNull(bobs["f:tags"]!["v:\"loud\""]);
        Assert.Equal("{}", bobs["f:args"]!.ToJsonString());
    }

    [Fact]
    public async Task StatusWrite_IsOwnedWithItsSubresource_AndSpecAppliesLeaveItAlone()
    {
        await _kubectl.SucceedAsync("apply", "--server-side", "-f", Write(GadgetCrd));
        await ApplyAsync("kubectl", Gadget("size: 1"));
        using var client = _server.CreateClient();
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"phase":"Ready"}}""", V1Patch.PatchType.MergePatch),
            "example.com", "v1", "default", "gadgets", "g", fieldManager: "gadget-controller");

        await ApplyAsync("kubectl", Gadget("size: 2"));

        var gadget = _server.Get("example.com/v1", "Gadget", "default", "g")!;
        Assert.Equal("Ready", gadget["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(2, gadget["spec"]!["size"]!.GetValue<long>());
        var controller = (await ManagedFieldsAsync("gadget", "g"))["gadget-controller"]!;
        Assert.Equal("status", controller["subresource"]!.GetValue<string>());
        Assert.Equal("Update", controller["operation"]!.GetValue<string>());
        Assert.Equal("""{"f:status":{".":{},"f:phase":{}}}""", controller["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public async Task ManagedFields_HaveKubeApiserversShape_AndKubectlShowsThemOnlyWhenAsked()
    {
        await _kubectl.SucceedAsync("create", "-f", Write("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: default}
            data: {mode: fast}
            """));

        Assert.DoesNotContain("managedFields", await _kubectl.SucceedAsync("get", "cm", "settings", "-o", "yaml"));
        var yaml = await _kubectl.SucceedAsync("get", "cm", "settings", "-o", "yaml", "--show-managed-fields");
        Assert.Contains("""
              managedFields:
              - apiVersion: v1
                fieldsType: FieldsV1
                fieldsV1:
                  f:data:
                    .: {}
                    f:mode: {}
                manager: kubectl-create
                operation: Update
                time: "
            """.Replace("\r", "", StringComparison.Ordinal), yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyToAnObjectWithoutManagedFields_RecordsBeforeFirstApply()
    {
        await ApplyAsync("kubectl", Deployment);
        await _kubectl.SucceedAsync("patch", "deploy", "web", "--type", "merge", "-p", """{"metadata":{"managedFields":[{}]}}""");
        Assert.Equal("", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.metadata.managedFields}", "--show-managed-fields"));

        var result = await _kubectl.RunAsync("apply", "--server-side", "-f", Write(Deployment.Replace("replicas: 2", "replicas: 3", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("conflict with \"before-first-apply\" using apps/v1: .spec.replicas", result.Stderr);
    }

    [Fact]
    public async Task ServerSideApplyAfterClientSideApply_TakesOverWithoutConflict()
    {
        await _kubectl.SucceedAsync("apply", "-f", Write(Deployment));

        await ApplyAsync("kubectl", Deployment.Replace("replicas: 2", "replicas: 3", StringComparison.Ordinal));

        Assert.Equal("3", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
        // kubectl moves client-side apply's fields to its apply manager by rewriting managedFields, which the server honours.
        var managed = await ManagedFieldsAsync();
        Assert.Equal("Apply", managed["kubectl"]!["operation"]!.GetValue<string>());
        Assert.NotNull(managed["kubectl"]!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.DoesNotContain("kubectl-client-side-apply", managed.Keys);
        var lastApplied = await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}");
        Assert.Equal(3, JsonNode.Parse(lastApplied)!["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task CrdControllersStatusWrite_IsOwnedByKubeApiserver()
    {
        await _kubectl.SucceedAsync("apply", "--server-side", "-f", Write(GadgetCrd));

        var managed = await ManagedFieldsAsync("crd", "gadgets.example.com");

        Assert.Equal("Apply", managed["kubectl"]!["operation"]!.GetValue<string>());
        Assert.Equal("status", managed["kube-apiserver"]!["subresource"]!.GetValue<string>());
        Assert.NotNull(managed["kube-apiserver"]!["fieldsV1"]!["f:status"]!["f:conditions"]);
    }

    [Fact]
    public async Task NoOpApply_WritesNothing_AndDryRunStoresNothing()
    {
        await ApplyAsync("kubectl", Deployment);
        var before = _server.Get("apps/v1", "Deployment", "default", "web")!;

        await ApplyAsync("kubectl", Deployment);
        await _kubectl.SucceedAsync("apply", "--server-side", "--dry-run=server", "-f", Write(Deployment.Replace("replicas: 2", "replicas: 9", StringComparison.Ordinal)));

        var after = _server.Get("apps/v1", "Deployment", "default", "web")!;
        Assert.Equal(before["metadata"]!["resourceVersion"]!.GetValue<string>(), after["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(2, after["spec"]!["replicas"]!.GetValue<long>());
    }

    [Fact]
    public async Task AppliedResourceVersion_IsAPrecondition()
    {
        await ApplyAsync("kubectl", Deployment);

        var result = await _kubectl.RunAsync("apply", "--server-side", "-f", Write(Deployment.Replace("namespace: default,", "namespace: default, resourceVersion: \"1\",", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", result.Stderr);
    }

    private static string Gadget(string spec) => $$"""
        apiVersion: example.com/v1
        kind: Gadget
        metadata: {name: g, namespace: default}
        spec: {{{spec}}}
        """;

    private async Task ApplyAsync(string manager, string yaml, params string[] extra) =>
        await _kubectl.SucceedAsync(["apply", "--server-side", $"--field-manager={manager}", .. extra, "-f", Write(yaml)]);

    private string Write(string yaml) => _kubectl.WriteManifest($"{Guid.NewGuid():N}.yaml", yaml);

    /// <summary>The Apply (or else Update) entry of each manager.</summary>
    private async Task<Dictionary<string, JsonNode>> ManagedFieldsAsync(string resource = "deploy", string name = "web")
    {
        var json = await _kubectl.SucceedAsync("get", resource, name, "-o", "json", "--show-managed-fields");
        return JsonNode.Parse(json)!["metadata"]!["managedFields"]!.AsArray()
            .GroupBy(e => e!["manager"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.First()!);
    }
}
