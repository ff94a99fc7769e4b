using Wasme.Operator.FilterDeployments;
using Wasme.Operator.HostPath;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Day 2: a HostPath FilterDeployment's selector is patched with kubectl in the middle of its rollout. The workload it
/// leaves gets its pod template back as it was and no EnvoyFilter; the one it reaches goes through the gate; once
/// converged, reconciles write nothing.
/// </summary>
public sealed class SelectorChangeTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static readonly FilterDeploymentOperatorOptions Options = new()
    {
        ResyncPeriod = TimeSpan.FromMilliseconds(300),
        ModuleDistribution = new ModuleDistributionOptions { CacheNamespace = NodeSide.CacheNamespace, RecheckInterval = TimeSpan.FromMilliseconds(50), ServedRecheckInterval = TimeSpan.FromMilliseconds(100) },
    };

    [Fact]
    public async Task A_selector_patched_mid_rollout_restores_the_workload_it_leaves_and_serves_the_one_it_reaches()
    {
        var image = await registry.PushAsync("selector/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        NodeSide.CreateCacheNamespace(harness);
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        var detailsBefore = Template(harness, "details-v1");
        NodeSide.RunPod(harness, "details-v1", "details-v1-a", "node-1");
        NodeSide.RunPod(harness, "reviews-v1", "reviews-v1-a", "node-1");
        NodeSide.ReportHeld(harness, "node-1", image.ModuleSha256);
        harness.StartOperator(Options);

        await harness.KubectlApplyAsync(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"));
        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "Ready")?["reason"] == "WaitingForRollout", "details waits for its rollout");
        Assert.NotEqual(detailsBefore, Template(harness, "details-v1"));

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "patch", "filterdeployment", "f", "-n", OperatorHarness.Namespace,
            "--type", "merge", "-p", """{"spec":{"deployment":{"istio":{"labels":{"app":"reviews"}}}}}""");
        Assert.True(code == 0, output);

        await harness.EventuallyAsync(
            () => Template(harness, "details-v1") == detailsBefore
                && ((string?)harness.Condition("f", "Ready")?["message"])?.Contains("Deployment reviews-v1", StringComparison.Ordinal) == true,
            "details is restored and reviews waits for its rollout");
        Assert.Null(harness.EnvoyFilter("details-v1-f.bookinfo"));
        Assert.Equal(["reviews-v1"], harness.FilterDeployment("f")!["status"]!["workloads"]!.AsObject().Select(w => w.Key));

        NodeSide.RunPod(harness, "reviews-v1", "reviews-v1-b", "node-1");
        await NodeSide.DeletePodAsync(harness, "reviews-v1-a");
        await harness.EventuallyAsync(() => harness.IsReady("f") && !harness.IsReconciling("f"), "f serves reviews");
        Assert.NotNull(harness.EnvoyFilter("reviews-v1-f.bookinfo"));
        Assert.Null(harness.EnvoyFilter("details-v1-f.bookinfo"));
        Assert.Equal(detailsBefore, Template(harness, "details-v1"));

        using var reconciles = new ReconcileCounter(harness.Metrics);
        harness.Server.Requests.Clear();
        var start = reconciles.Count;
        await harness.EventuallyAsync(() => reconciles.Count >= start + 5, "five more reconciles");
        Assert.Empty(harness.Writes());
    }

    // The pod template as kube-apiserver would store it: an emptied annotations map is dropped there (omitempty), the
    // test server keeps it as `{}`.
    private static string Template(OperatorHarness harness, string workload)
    {
        var template = harness.Get("apps/v1", "Deployment", workload)!["spec"]!["template"]!.DeepClone().AsObject();
        if (template["metadata"]?["annotations"] is System.Text.Json.Nodes.JsonObject { Count: 0 })
        {
            template["metadata"]!.AsObject().Remove("annotations");
        }

        return template.ToJsonString();
    }
}
