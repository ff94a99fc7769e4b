using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Istio before 1.12 has no WasmPlugin CRD. The operator must still become ready and serve Remote and HostPath,
/// tell WasmPlugin FilterDeployments what is missing, and pick the CRD up once it is installed, without a restart.
/// </summary>
public sealed class MissingCrdTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public MissingCrdTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Without_the_WasmPlugin_CRD_the_operator_is_ready_serves_Remote_and_HostPath_and_names_the_missing_CRD()
    {
        var image = await _registry.PushAsync("nocrd/filter:v1");
        await using var harness = await OperatorHarness.StartAsync(wasmPluginCrd: false);
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.Apply(Manifests.Workload("ratings-v1", "ratings"));
        var op = harness.StartOperator(new FilterDeploymentOperatorOptions { CrdRediscoveryMax = TimeSpan.FromMilliseconds(200) });

        harness.Apply(Manifests.FilterDeployment("remote", image.Reference));
        harness.Apply(Manifests.FilterDeployment("hostpath", image.Reference, app: "reviews", delivery: "HostPath"));
        harness.Apply(Manifests.FilterDeployment("plugin", image.Reference, app: "ratings", delivery: "WasmPlugin", config: new System.Text.Json.Nodes.JsonObject { ["greeting"] = "world" }));

        await harness.EventuallyAsync(() => op.HasSynced, "the operator is ready (what /readyz reports)");
        await harness.EventuallyAsync(() => harness.IsReady("remote") && harness.IsReady("hostpath"), "Remote and HostPath are Ready");
        await harness.EventuallyAsync(() => (string?)harness.Condition("plugin", "Ready")?["reason"] == "CrdNotInstalled", "the WasmPlugin FilterDeployment says why it is not ready");
        var message = (string)harness.Condition("plugin", "Ready")!["message"]!;
        Assert.Contains("wasmplugins.extensions.istio.io", message, StringComparison.Ordinal);
        Assert.Contains("Istio 1.12 or later", message, StringComparison.Ordinal);
        Assert.Contains("spec.deployment.istio.delivery to Remote", message, StringComparison.Ordinal);
        Assert.Equal("False", (string?)harness.Condition("plugin", "Applied")!["status"]);
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("plugin")).Any(e => (string?)e["reason"] == "CrdNotInstalled" && (string?)e["type"] == "Warning"),
            "a Warning event says the CRD is missing");

        await harness.InstallWasmPluginCrdAsync();

        await harness.EventuallyAsync(() => harness.IsReady("plugin"), "the WasmPlugin FilterDeployment is applied once the CRD appears");
        Assert.Single(await harness.ListAsync("extensions.istio.io", "v1alpha1", "wasmplugins"));
        Assert.True(harness.IsReady("remote"));
    }
}
