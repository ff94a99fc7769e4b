using Wasme.Oci.Formats;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>Issue 14.1: an image pushed with <c>wasme push --format compat</c> deploys like one in the wasme layout.</summary>
public sealed class CompatImageTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const string FilterName = "bookinfo-custom-filter";
    private const string FilterId = "bookinfo-custom-filter.bookinfo";

    [Fact]
    public async Task A_compat_image_becomes_Ready_with_the_module_sha256_of_plugin_wasm()
    {
        var image = await registry.PushAsync("compat/add-header:v1", format: WasmImageFormat.Compat);
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        await harness.KubectlApplyAsync(Manifests.FilterDeployment(FilterName, image.Reference));

        await harness.EventuallyAsync(() => harness.Condition(FilterName, "Ready") is not null, "the FilterDeployment has a Ready condition");
        await harness.EventuallyAsync(() => harness.IsReady(FilterName), $"the FilterDeployment is Ready (Ready: {harness.Condition(FilterName, "Ready")?.ToJsonString()})");
        var status = harness.FilterDeployment(FilterName)!["status"]!;
        Assert.Equal(image.ManifestDigest, (string?)status["imageDigest"]);
        Assert.Equal(image.ModuleSha256, (string?)status["moduleSha256"]);
        var filter = harness.EnvoyFilter($"details-v1-{FilterId}")!;
        var wasm = filter["spec"]!["configPatches"]!.AsArray().Single(p => (string?)p!["applyTo"] == "HTTP_FILTER")!;
        var config = wasm["patch"]!["value"]!["typed_config"]!["config"]!;
        Assert.Equal(image.ModuleSha256, (string?)config["vm_config"]!["code"]!["remote"]!["sha256"]);
        Assert.Equal("add_header", (string?)config["root_id"]);
    }
}
