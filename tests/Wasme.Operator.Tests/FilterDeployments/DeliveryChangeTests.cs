using System.Text.Json.Nodes;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// A FilterDeployment moved between delivery modes keeps one object per workload: the new kind is written, the old one
/// deleted (a Remote EnvoyFilter left beside a WasmPlugin would run the filter twice), and then nothing more is written.
/// </summary>
public sealed class DeliveryChangeTests : IClassFixture<RegistryFixture>
{
    private const string Name = "moving";
    private const string ObjectName = "details-v1-moving.bookinfo";
    private readonly RegistryFixture _registry;

    public DeliveryChangeTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Remote_to_WasmPlugin_and_back_swaps_the_object_and_then_writes_nothing()
    {
        var image = await _registry.PushAsync("delivery/moving:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        using var reconciles = new ReconcileCounter(harness.Metrics);
        harness.StartOperator(new FilterDeploymentOperatorOptions
        {
            ResyncPeriod = TimeSpan.FromMilliseconds(300),
            Reconciler = new FilterDeploymentReconcilerOptions { ImageRefreshInterval = TimeSpan.FromMilliseconds(200) },
        });
        var config = new JsonObject { ["greeting"] = "hi" };

        harness.Apply(Manifests.FilterDeployment(Name, image.Reference, config: config.DeepClone(), delivery: "Remote"));
        await harness.EventuallyAsync(() => harness.IsReady(Name) && harness.EnvoyFilter(ObjectName) is not null, "the EnvoyFilter is applied");

        harness.Apply(Manifests.FilterDeployment(Name, image.Reference, config: config.DeepClone(), delivery: "WasmPlugin"));
        await harness.EventuallyAsync(
            () => WasmPlugin(harness) is not null && harness.EnvoyFilter(ObjectName) is null && harness.IsReady(Name) && !harness.IsReconciling(Name),
            "the WasmPlugin replaces the EnvoyFilter");
        await AssertQuietAsync(harness, reconciles);

        harness.Apply(Manifests.FilterDeployment(Name, image.Reference, config: config.DeepClone(), delivery: "Remote"));
        await harness.EventuallyAsync(
            () => WasmPlugin(harness) is null && harness.EnvoyFilter(ObjectName) is not null && harness.IsReady(Name) && !harness.IsReconciling(Name),
            "the EnvoyFilter replaces the WasmPlugin");
        await AssertQuietAsync(harness, reconciles);
    }

    private static JsonObject? WasmPlugin(OperatorHarness harness) =>
        harness.Server.Get("extensions.istio.io/v1alpha1", "WasmPlugin", OperatorHarness.Namespace, ObjectName);

    private static async Task AssertQuietAsync(OperatorHarness harness, ReconcileCounter reconciles)
    {
        harness.Server.Requests.Clear();
        var start = reconciles.Count;
        await harness.EventuallyAsync(() => reconciles.Count >= start + 10, "several resync rounds");
        Assert.Empty(harness.Writes().Select(w => $"{w.Method} {w.Path}"));
    }
}
