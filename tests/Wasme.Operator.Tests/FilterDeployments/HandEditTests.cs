using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Day 2: someone edits or deletes, with kubectl, an EnvoyFilter the operator owns. The operator puts back what the
/// FilterDeployment declares, at once (not at the next resync), and says so in an Event.
/// </summary>
public sealed class HandEditTests : IClassFixture<RegistryFixture>
{
    private const string Name = "hand";
    private const string Filter = "details-v1-hand.bookinfo";
    private readonly RegistryFixture _registry;

    public HandEditTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Theory]
    [InlineData("spec", "{\"spec\":{\"workloadSelector\":{\"labels\":{\"app\":\"somewhere-else\"}}}}")]
    [InlineData("managed-by label", "{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":null}}}")]
    [InlineData("filter-deployment label", "{\"metadata\":{\"labels\":{\"wasme.io/filter-deployment\":null}}}")]
    [InlineData("filter-id label", "{\"metadata\":{\"labels\":{\"wasme.io/filter-id\":null}}}")]
    public async Task An_owned_EnvoyFilter_edited_by_hand_is_restored(string what, string patch)
    {
        await using var harness = await StartAsync();
        var applied = harness.EnvoyFilter(Filter)!.DeepClone();

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "patch", "envoyfilter", Filter, "-n", OperatorHarness.Namespace, "--type", "merge", "-p", patch);
        Assert.True(code == 0, output);

        await harness.EventuallyAsync(
            () => harness.EnvoyFilter(Filter) is { } now && System.Text.Json.Nodes.JsonNode.DeepEquals(now["spec"], applied["spec"])
                && System.Text.Json.Nodes.JsonNode.DeepEquals(now["metadata"]!["labels"], applied["metadata"]!["labels"]),
            $"the EnvoyFilter's {what} is restored");
        Assert.True(harness.IsReady(Name));
        // Put back in one pass, said in an Event, with no failed write on the way. The Event is written after the
        // EnvoyFilter, so the restored object can be seen before it: wait for it too.
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync(Name)).Any(e => (string?)e["reason"] == "Applied" && ((string?)e["message"])!.Contains($"updated EnvoyFilter {Filter}", StringComparison.Ordinal)),
            $"an Applied Event says the EnvoyFilter's {what} was put back");
        Assert.DoesNotContain(harness.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_owned_EnvoyFilter_deleted_by_hand_is_created_again()
    {
        await using var harness = await StartAsync();

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "envoyfilter", Filter, "-n", OperatorHarness.Namespace);
        Assert.True(code == 0, output);

        await harness.EventuallyAsync(() => harness.EnvoyFilter(Filter) is not null, "the EnvoyFilter is created again");
        Assert.True(harness.IsReady(Name));
    }

    [Fact]
    public async Task An_owned_WasmPlugin_edited_then_deleted_by_hand_is_put_back_each_time()
    {
        var image = await _registry.PushAsync("hand/plugin:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment(Name, image.Reference, config: new System.Text.Json.Nodes.JsonObject { ["greeting"] = "hi" }, delivery: "WasmPlugin"));
        System.Text.Json.Nodes.JsonObject? Plugin() => harness.Get("extensions.istio.io/v1alpha1", "WasmPlugin", Filter);
        await harness.EventuallyAsync(() => harness.IsReady(Name) && Plugin() is not null && !harness.IsReconciling(Name), "the FilterDeployment is served");
        var applied = Plugin()!["spec"]!.DeepClone();

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "patch", "wasmplugin", Filter, "-n", OperatorHarness.Namespace, "--type", "merge", "-p", "{\"spec\":{\"pluginConfig\":{\"greeting\":\"hand-edited\"}}}");
        Assert.True(code == 0, output);
        await harness.EventuallyAsync(() => Plugin() is { } now && System.Text.Json.Nodes.JsonNode.DeepEquals(now["spec"], applied), "the WasmPlugin's spec is restored");

        (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "wasmplugin", Filter, "-n", OperatorHarness.Namespace);
        Assert.True(code == 0, output);
        await harness.EventuallyAsync(() => Plugin() is { } again && System.Text.Json.Nodes.JsonNode.DeepEquals(again["spec"], applied), "the WasmPlugin is created again");
        Assert.True(harness.IsReady(Name));
    }

    private async Task<OperatorHarness> StartAsync()
    {
        var image = await _registry.PushAsync("hand/filter:v1");
        var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment(Name, image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady(Name) && harness.EnvoyFilter(Filter) is not null && !harness.IsReconciling(Name), "the FilterDeployment is served");
        return harness;
    }
}
