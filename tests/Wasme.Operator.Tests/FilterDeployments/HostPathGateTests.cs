using System.Text.Json.Nodes;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.HostPath;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Issue #14 point 6: HostPath's readiness gate. A workload gets the cache volume only once every node running its pods
/// reports the module, its EnvoyFilter points at the file only once every pod also mounts the cache, status says how
/// many nodes hold it and which do not, and a kill between any two writes leaves no proxy pointed at a missing file.
/// </summary>
public sealed class HostPathGateTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const string Volume = "sidecar.istio.io/userVolume";
    private const string EnvoyFilter = "details-v1-f.bookinfo";

    private static readonly FilterDeploymentOperatorOptions Options = new()
    {
        ModuleDistribution = new ModuleDistributionOptions { CacheNamespace = NodeSide.CacheNamespace, RecheckInterval = TimeSpan.FromMilliseconds(50) },
    };

    [Fact]
    public async Task With_the_caches_stopped_nothing_points_at_the_module_and_status_names_the_nodes_until_they_report()
    {
        var image = await registry.PushAsync("gate/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        NodeSide.CreateCacheNamespace(harness);
        harness.Apply(Manifests.Workload("details-v1", "details"));
        NodeSide.RunPod(harness, "details-v1", "details-v1-a", "node-1");
        NodeSide.RunPod(harness, "details-v1", "details-v1-b", "node-2");
        NodeSide.ReportHeld(harness, "node-2"); // node-2's cache runs but has not fetched the module; node-1's is stopped
        harness.StartOperator(Options);

        await harness.KubectlApplyAsync(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"));

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "ModuleDistributed")?["reason"] == "WaitingForNodes", "f waits for its nodes");
        var ready = harness.Condition("f", "Ready")!;
        Assert.Equal(("False", "WaitingForNodes"), ((string?)ready["status"], (string?)ready["reason"]));
        var message = (string)ready["message"]!;
        Assert.Contains($"0/2 nodes hold module sha256:{image.ModuleSha256}; waiting for node-1, node-2 (pods details-v1-a, details-v1-b)", message, StringComparison.Ordinal);
        Assert.Contains("Is the wasme-cache DaemonSet running there? kubectl -n wasme get pods -l app.kubernetes.io/name=wasme-cache -o wide", message, StringComparison.Ordinal);
        AssertNothingPointsAtTheModule(harness);
        Assert.Equal("""[{"name":"node-1","ready":false},{"name":"node-2","ready":false}]""", Status(harness)["nodes"]!.ToJsonString());
        var (code, table) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "get", "filterdeployment", "f", "-n", OperatorHarness.Namespace, "-o", "wide");
        Assert.True(code == 0, table);
        Assert.Matches(@"\nf\s+\S+\s+HostPath\s+False\s+WaitingForNodes\s+0/2\s", table);

        // node-2's cache fetches the module; node-1's is still stopped.
        NodeSide.ReportHeld(harness, "node-2", image.ModuleSha256);
        await harness.EventuallyAsync(() => (string?)Status(harness)["nodesReady"] == "1/2", "status counts node-2");
        Assert.Contains("waiting for node-1 (pods details-v1-a)", (string)harness.Condition("f", "Ready")!["message"]!, StringComparison.Ordinal);
        AssertNothingPointsAtTheModule(harness);

        // node-1's cache starts: the volume goes on, the EnvoyFilter waits for pods that mount it.
        NodeSide.ReportHeld(harness, "node-1", image.ModuleSha256);
        await harness.EventuallyAsync(() => PodAnnotations(harness).ContainsKey(Volume), "the workload gets the cache volume");
        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "Ready")?["reason"] == "WaitingForRollout", "f waits for the rollout");
        Assert.Equal("True", (string?)harness.Condition("f", "ModuleDistributed")!["status"]);
        Assert.Null(harness.EnvoyFilter(EnvoyFilter));

        // The Deployment controller rolls the pods (new ones first, as maxSurge does); the new ones mount the cache.
        NodeSide.RunPod(harness, "details-v1", "details-v1-c", "node-1");
        NodeSide.RunPod(harness, "details-v1", "details-v1-d", "node-2");
        await NodeSide.DeletePodAsync(harness, "details-v1-a");
        await NodeSide.DeletePodAsync(harness, "details-v1-b");

        var (waited, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "wait", "--for=condition=Ready", "filterdeployment/f", "-n", OperatorHarness.Namespace, "--timeout=30s");
        Assert.True(waited == 0, output);
        Assert.Contains($"/var/local/lib/wasme-cache/{image.ModuleSha256}", harness.EnvoyFilter(EnvoyFilter)!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("2/2", (string?)Status(harness)["nodesReady"]);
        Assert.Equal("NodesHoldModule", (string?)harness.Condition("f", "ModuleDistributed")!["reason"]);

        // Each waiting step was said as it changed, and never twice the same.
        var warnings = (await harness.EventsAboutAsync("f")).Where(e => (string?)e["type"] == "Warning").Select(e => ((string)e["reason"]!, (string)e["message"]!)).ToList();
        Assert.Equal(["WaitingForNodes", "WaitingForNodes"], warnings.Take(2).Select(w => w.Item1));
        Assert.NotEmpty(warnings.Skip(2));
        Assert.All(warnings.Skip(2), w => Assert.Equal("WaitingForRollout", w.Item1));
        Assert.Equal(warnings.Count, warnings.Distinct().Count());

        // The order a kill could interrupt: the volume before the EnvoyFilter that needs it.
        var writes = harness.Writes().Select(w => $"{w.Method} {w.Path}").ToList();
        Assert.True(
            writes.FindIndex(w => w.StartsWith("PATCH /apis/apps/v1/namespaces/bookinfo/deployments/details-v1", StringComparison.Ordinal))
            < writes.FindIndex(w => w.StartsWith("POST /apis/networking.istio.io/v1alpha3/namespaces/bookinfo/envoyfilters", StringComparison.Ordinal)),
            string.Join('\n', writes));
    }

    [Fact]
    public async Task An_operator_upgraded_before_the_node_record_crd_holds_hostpath_back_and_says_what_to_install()
    {
        var image = await registry.PushAsync("gate/no-records:v1");
        await using var harness = await OperatorHarness.StartAsync();
        NodeSide.CreateCacheNamespace(harness);
        var (deleted, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "crd", "cachenoderecords.wasme.io");
        Assert.True(deleted == 0, output);
        harness.Apply(Manifests.Workload("details-v1", "details"));
        NodeSide.RunPod(harness, "details-v1", "details-v1-a", "node-1");
        harness.StartOperator(Options with { CrdRediscoveryMax = TimeSpan.FromMilliseconds(200) });

        await harness.KubectlApplyAsync(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"));

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "ModuleDistributed")?["reason"] == "NodesUnknown", "f cannot tell which nodes hold the module");
        Assert.Contains(
            "the API server does not serve CacheNodeRecords (wasme.io/v1), where the caches say which modules their nodes hold: install deploy/crds/cachenoderecords.wasme.io.yaml",
            (string)harness.Condition("f", "ModuleDistributed")!["message"]!, StringComparison.Ordinal);
        AssertNothingPointsAtTheModule(harness);

        // The CRD is installed and node-1's cache reports: the gate opens without restarting the operator.
        harness.Server.ApplyYaml(await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "crds", "cachenoderecords.wasme.io.yaml")));
        NodeSide.ReportHeld(harness, "node-1", image.ModuleSha256);
        await harness.EventuallyAsync(() => PodAnnotations(harness).ContainsKey(Volume), "the workload gets the cache volume");
    }

    [Theory]
    [InlineData("PATCH", "/deployments/details-v1$")]
    [InlineData("POST", "/envoyfilters$")]
    public async Task Killed_between_writes_no_proxy_points_at_a_missing_file_and_a_restart_completes(string method, string failing)
    {
        var image = await registry.PushAsync($"gate/kill-{method.ToLowerInvariant()}:v1");
        await using var harness = await OperatorHarness.StartAsync();
        NodeSide.CreateCacheNamespace(harness);
        harness.Apply(Manifests.Workload("details-v1", "details"));
        NodeSide.ReportHeld(harness, "node-1", image.ModuleSha256);

        // This write never gets through, so the operator is stuck just before it when it is killed.
        harness.Server.Faults.FailPath(failing, 500, method);
        harness.StartOperator(Options);
        harness.Apply(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"));
        await harness.EventuallyAsync(() => harness.Server.Requests.Snapshot().Any(r => r.Method == method && r.StatusCode == 500), "the operator reached the failing write");
        await harness.KillOperatorAsync();

        // What the kill left: an EnvoyFilter only where the workload mounts the cache.
        if (harness.EnvoyFilter(EnvoyFilter) is not null)
        {
            Assert.True(PodAnnotations(harness).ContainsKey(Volume), "an EnvoyFilter points at the module file, but the workload does not mount the cache");
        }

        harness.Server.Faults.Reset();
        harness.StartOperator(Options);
        // Done writing, too: a write still in flight at the kill would be logged after the clear below.
        await harness.EventuallyAsync(() => harness.IsReady("f") && !harness.IsReconciling("f"), "the restarted operator completes");
        Assert.NotNull(harness.EnvoyFilter(EnvoyFilter));
        Assert.True(PodAnnotations(harness).ContainsKey(Volume));

        // Once done, a further restart writes nothing.
        await harness.KillOperatorAsync();
        harness.Server.Requests.Clear();
        using var reconciles = new ReconcileCounter(harness.Metrics);
        harness.StartOperator(Options);
        await harness.EventuallyAsync(() => reconciles.Count >= 1, "the restarted operator looked at f");
        Assert.Empty(harness.Writes());
    }

    private static void AssertNothingPointsAtTheModule(OperatorHarness harness)
    {
        Assert.Null(harness.EnvoyFilter(EnvoyFilter));
        Assert.DoesNotContain(Volume, PodAnnotations(harness).Select(a => a.Key));
    }

    private static JsonObject Status(OperatorHarness harness) => harness.FilterDeployment("f")!["status"]!.AsObject();

    private static JsonObject PodAnnotations(OperatorHarness harness) =>
        harness.Get("apps/v1", "Deployment", "details-v1")!["spec"]!["template"]!["metadata"]!["annotations"]?.AsObject() ?? [];
}
