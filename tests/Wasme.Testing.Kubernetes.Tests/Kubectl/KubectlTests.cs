using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>The real kubectl, unchanged, against the test server (acceptance 1 of issue 5).</summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_IstioCrds_MakesIstioKindsServed()
    {
        var crds = IstioCrds.Find();
        Assert.True(crds is not null, "third_party/istio/customresourcedefinitions.gen.yaml not found");

        await _kubectl.SucceedAsync("apply", "-f", crds);

        var resources = await _kubectl.SucceedAsync("api-resources", "--api-group=networking.istio.io", "-o", "name");
        Assert.Contains("envoyfilters.networking.istio.io", resources);
        var established = await _kubectl.SucceedAsync("get", "crd", "wasmplugins.extensions.istio.io",
            "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}");
        Assert.Equal("True", established);
        var result = await _kubectl.RunAsync("get", "envoyfilters", "-A");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("No resources found", result.Stderr);
    }

    [Fact]
    public async Task Apply_CrdThenCustomResource_ShowsPrinterColumnsAndDefaults()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 3)));

        var table = await _kubectl.SucceedAsync("get", "widgets");
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+SIZE\s+READY\s+AGE$", lines[0]);
        Assert.Matches(@"^gizmo\s+3\s+\S+s$", lines[1]);
        var yaml = await _kubectl.SucceedAsync("get", "wd", "gizmo", "-o", "yaml");
        Assert.Contains("color: red", yaml); // the schema's default
        Assert.Contains("generation: 1", yaml);
    }

    [Fact]
    public async Task Apply_ChangedDeployment_PatchesOnlyTheEditedContainer()
    {
        var path = _kubectl.WriteManifest("deploy.yaml", Manifests.Deployment);
        await _kubectl.SucceedAsync("apply", "-f", path);
        File.WriteAllText(path, Manifests.Deployment.Replace("example.com/web:1", "example.com/web:2", StringComparison.Ordinal));

        var output = await _kubectl.SucceedAsync("apply", "-f", path);

        Assert.Contains("deployment.apps/web configured", output);
        var deployment = _server.Get("apps/v1", "Deployment", "default", "web")!;
        var containers = deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["example.com/web:2", "example.com/sidecar:1"], containers.Select(c => c!["image"]!.GetValue<string>()));
        Assert.Equal(2, deployment["metadata"]!["generation"]!.GetValue<long>());
        Assert.Contains("strategic-merge-patch", _server.Requests.Snapshot().Single(r => r.Method == "PATCH").ContentType);
    }

    [Fact]
    public async Task Apply_ServerSide_CreatesThenUpdates()
    {
        var path = _kubectl.WriteManifest("deploy.yaml", Manifests.Deployment);
        Assert.Contains("serverside-applied", await _kubectl.SucceedAsync("apply", "--server-side", "-f", path));
        File.WriteAllText(path, Manifests.Deployment.Replace("replicas: 2", "replicas: 5", StringComparison.Ordinal));

        await _kubectl.SucceedAsync("apply", "--server-side", "-f", path);

        Assert.Equal("5", await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
    }

    [Fact]
    public async Task GetWithLabelSelector_ListsOnlyMatchingObjects()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("a.yaml", Manifests.Widget("a", 1, "{app: x}")));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("b.yaml", Manifests.Widget("b", 1, "{app: z}")));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("c.yaml", Manifests.Widget("c", 1)));

        Assert.Equal("widget.example.com/a", (await _kubectl.SucceedAsync("get", "wd", "-l", "app=x", "-o", "name")).Trim());
        Assert.Equal(["a", "b"], (await _kubectl.SucceedAsync("get", "wd", "-l", "app", "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => n.Split('/')[1]));
        Assert.Equal(["b", "c"], (await _kubectl.SucceedAsync("get", "wd", "-l", "app notin (x)", "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => n.Split('/')[1]));
    }

    [Fact]
    public async Task LabelAndMergePatch_ChangeTheObject_AndOnlySpecChangesBumpGeneration()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 3)));

        Assert.Contains("labeled", await _kubectl.SucceedAsync("label", "wd", "gizmo", "tier=gold"));
        var labeled = _server.Get("example.com/v1", "Widget", "default", "gizmo")!;
        Assert.Equal("gold", labeled["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal(1, labeled["metadata"]!["generation"]!.GetValue<long>());

        Assert.Contains("patched", await _kubectl.SucceedAsync("patch", "wd", "gizmo", "--type", "merge", "-p", """{"spec":{"size":7}}"""));
        var patched = _server.Get("example.com/v1", "Widget", "default", "gizmo")!;
        Assert.Equal(7, patched["spec"]!["size"]!.GetValue<long>());
        Assert.Equal(2, patched["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task Wait_ForConditionReady_ReturnsOnceATestSetsTheStatus()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 3)));
        var notYet = await _kubectl.RunAsync("wait", "--for=condition=Ready", "wd/gizmo", "--timeout=1s");
        Assert.NotEqual(0, notYet.ExitCode);
        Assert.Contains("timed out", notYet.Stderr);

        var waiting = _kubectl.RunAsync("wait", "--for=condition=Ready", "wd/gizmo", "--timeout=60s");
        using var client = _server.CreateClient();
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch),
            "example.com", "v1", "default", "widgets", "gizmo");

        var result = await waiting.WithinLimit();
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("widget.example.com/gizmo condition met", result.Stdout);
    }

    [Fact]
    public async Task Delete_WithFinalizerHeld_WaitsUntilTheFinalizerIsReleased()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 3)));
        await _kubectl.SucceedAsync("patch", "wd", "gizmo", "--type", "merge", "-p", """{"metadata":{"finalizers":["example.com/hold"]}}""");
        using var client = _server.CreateClient();
        using var stopWatching = new CancellationTokenSource();
        var marked = WaitForDeletionMarkAsync(client, stopWatching.Token);

        using var deleting = _kubectl.Start("delete", "wd", "gizmo", "--timeout=60s");
        await marked.WithinLimit();
        await stopWatching.CancelAsync();

        Assert.False(deleting.HasExited);
        Assert.NotNull(_server.Get("example.com/v1", "Widget", "default", "gizmo"));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"remove","path":"/metadata/finalizers"}]""", V1Patch.PatchType.JsonPatch),
            "example.com", "v1", "default", "widgets", "gizmo");
        await deleting.WaitForExitAsync().WithinLimit();
        Assert.Equal(0, deleting.ExitCode);
        Assert.Contains("widget.example.com \"gizmo\" deleted", await deleting.StandardOutput.ReadToEndAsync());
        Assert.Null(_server.Get("example.com/v1", "Widget", "default", "gizmo"));
    }

    [Fact]
    public async Task GetWatch_PrintsPrinterColumnsForEachEvent()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        using var watching = _kubectl.Start("get", "wd", "--watch", "--output-watch-events");

        _server.ApplyYaml(Manifests.Widget("gizmo", 4));

        string? header, added;
        try
        {
            header = await watching.StandardOutput.ReadLineAsync().WithinLimit();
            added = await watching.StandardOutput.ReadLineAsync().WithinLimit();
        }
        finally
        {
            watching.Kill();
        }

        Assert.Matches(@"^EVENT\s+NAME\s+SIZE\s+READY\s+AGE$", header);
        Assert.Matches(@"^ADDED\s+gizmo\s+4\s+", added);
    }

    [Fact]
    public async Task Apply_InvalidCustomResource_IsRejectedWithTheSchemaReason()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        var bad = _kubectl.WriteManifest("bad.yaml", """
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: broken}
            spec: {size: 0, color: green}
            """);

        var result = await _kubectl.RunAsync("apply", "-f", bad);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("The Widget \"broken\" is invalid", result.Stderr);
        Assert.Contains("spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1", result.Stderr);
        Assert.Contains("spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"", result.Stderr);
        Assert.Null(_server.Get("example.com/v1", "Widget", "default", "broken"));
    }

    [Fact]
    public async Task Apply_UnknownField_IsRejectedByStrictFieldValidation()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        var path = _kubectl.WriteManifest("typo.yaml", Manifests.Widget("gizmo", 3).Replace("spec: {size: 3}", "spec: {size: 3, colour: red}", StringComparison.Ordinal));

        var result = await _kubectl.RunAsync("apply", "-f", path);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("unknown field \"spec.colour\"", result.Stderr);
    }

    private static async Task WaitForDeletionMarkAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var events = client.CustomObjects.WatchListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", cancellationToken: cancellationToken);
        await foreach (var (_, obj) in events)
        {
            if (JsonNode.Parse(obj.ToString()!)?["metadata"]?["deletionTimestamp"] is not null)
            {
                return;
            }
        }
    }
}
