using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>Acceptance 1 and 2 of the operator issue: apply, converge, change, delete.</summary>
public sealed class ConvergenceTests : IClassFixture<RegistryFixture>
{
    private const string FilterName = "bookinfo-custom-filter";
    private const string FilterId = "bookinfo-custom-filter.bookinfo";
    private readonly RegistryFixture _registry;

    public ConvergenceTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Seed_FilterDeployment_applied_with_kubectl_becomes_Ready_with_an_EnvoyFilter_per_workload()
    {
        var image = await _registry.PushAsync("ceposta/demo-add-header:v0.2");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("details-v2", "details", "v2"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.StartOperator();

        await harness.KubectlApplyAsync(Manifests.FilterDeployment(FilterName, image.Reference));

        await harness.EventuallyAsync(() => harness.IsReady(FilterName), "the FilterDeployment is Ready");
        var status = harness.FilterDeployment(FilterName)!["status"]!;
        Assert.Equal(image.ManifestDigest, (string?)status["imageDigest"]);
        Assert.Equal(image.ModuleSha256, (string?)status["moduleSha256"]);
        Assert.Equal((long?)harness.FilterDeployment(FilterName)!["metadata"]!["generation"], (long?)status["observedGeneration"]);
        Assert.Equal(["details-v1", "details-v2"], status["workloads"]!.AsObject().Select(w => w.Key).Order());

        var filters = await harness.EnvoyFiltersAsync();
        Assert.Equal([$"details-v1-{FilterId}", $"details-v2-{FilterId}"], filters.Select(f => (string)f["metadata"]!["name"]!).Order());
        var details = harness.EnvoyFilter($"details-v1-{FilterId}")!;
        Assert.Equal("v1", (string?)details["spec"]!["workloadSelector"]!["labels"]!["version"]);
        var wasm = details["spec"]!["configPatches"]!.AsArray().Single(p => (string?)p!["applyTo"] == "HTTP_FILTER")!;
        Assert.Equal("SIDECAR_INBOUND", (string?)wasm["match"]!["context"]);
        var config = wasm["patch"]!["value"]!["typed_config"]!["config"]!;
        Assert.Equal("world", (string?)config["configuration"]!["value"]);
        Assert.Equal("add_header", (string?)config["root_id"]);
        Assert.Equal(image.ModuleSha256, (string?)config["vm_config"]!["code"]!["remote"]!["sha256"]);
        var owner = details["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal(harness.FilterDeployment(FilterName)!["metadata"]!["uid"]!.ToString(), (string?)owner["uid"]);
    }

    [Fact]
    public async Task A_workload_created_after_the_FilterDeployment_gets_its_filter()
    {
        var image = await _registry.PushAsync("late/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady(FilterName), "the FilterDeployment is Ready");

        harness.Apply(Manifests.Workload("details-v3", "details", "v3"));

        await harness.EventuallyAsync(() => harness.EnvoyFilter($"details-v3-{FilterId}") is not null, "the new workload has its EnvoyFilter");
        await harness.EventuallyAsync(
            () => harness.FilterDeployment(FilterName)!["status"]!["workloads"]!.AsObject().ContainsKey("details-v3"),
            "status lists the new workload");
    }

    [Theory]
    [InlineData("HostPath", "EnvoyFilter")]
    public async Task Each_delivery_mode_produces_its_object_per_workload(string delivery, string kind)
    {
        var image = await _registry.PushAsync($"modes/{delivery.ToLowerInvariant()}:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference, delivery: delivery));

        await harness.EventuallyAsync(() => harness.IsReady(FilterName), "the FilterDeployment is Ready");
        var name = $"details-v1-{FilterId}";
        if (kind == "WasmPlugin")
        {
            var plugin = harness.Get("extensions.istio.io/v1alpha1", "WasmPlugin", name)!;
            Assert.Equal($"oci://{image.Reference.Split(':')[0]}:{image.Reference.Split(':')[1]}@{image.ManifestDigest}".Replace(":v1@", "@", StringComparison.Ordinal), (string?)plugin["spec"]!["url"]);
            Assert.Empty(await harness.EnvoyFiltersAsync());
        }
        else
        {
            var filter = harness.EnvoyFilter(name)!;
            var code = filter["spec"]!["configPatches"]![0]!["patch"]!["value"]!["typed_config"]!["config"]!["vm_config"]!["code"]!;
            Assert.Equal($"/var/local/lib/wasme-cache/{image.ModuleSha256}", (string?)code["local"]!["filename"]);
            var annotations = harness.Get("apps/v1", "Deployment", "details-v1")!["spec"]!["template"]!["metadata"]!["annotations"]!;
            Assert.Contains("wasme-cache", (string?)annotations["sidecar.istio.io/userVolume"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Changing_the_config_converges_and_deleting_removes_objects_and_restores_annotations_exactly()
    {
        var image = await _registry.PushAsync("change/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        const string userVolume = "[{\"name\":\"certs\",\"secret\":{\"secretName\":\"certs\"}}]";
        harness.Apply(Manifests.Workload("details-v1", "details", podAnnotations: new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = userVolume }));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference, delivery: "HostPath"));
        await harness.EventuallyAsync(() => harness.IsReady(FilterName), "the FilterDeployment is Ready");

        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference, config: "tomorrow", delivery: "HostPath"));
        await harness.EventuallyAsync(
            () => (string?)harness.EnvoyFilter($"details-v1-{FilterId}")?["spec"]?["configPatches"]?[0]?["patch"]?["value"]?["typed_config"]?["config"]?["configuration"]?["value"] == "tomorrow",
            "the EnvoyFilter carries the new config");

        await harness.DeleteFilterDeploymentAsync(FilterName);

        await harness.EventuallyAsync(() => harness.FilterDeployment(FilterName) is null, "the FilterDeployment is gone");
        Assert.Null(harness.EnvoyFilter($"details-v1-{FilterId}"));
        var annotations = harness.Get("apps/v1", "Deployment", "details-v1")!["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject();
        Assert.Equal(userVolume, (string?)annotations["sidecar.istio.io/userVolume"]);
        Assert.DoesNotContain(annotations, a => a.Key.StartsWith("wasme", StringComparison.Ordinal) || a.Key == "sidecar.istio.io/userVolumeMount");
    }

    [Fact]
    public async Task A_missing_image_gets_a_clear_condition_while_other_FilterDeployments_are_served()
    {
        var image = await _registry.PushAsync("good/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.StartOperator();

        harness.Apply(Manifests.FilterDeployment("broken", $"{_registry.Host}/missing/filter:v9"));
        harness.Apply(Manifests.FilterDeployment("good", image.Reference, app: "reviews"));

        await harness.EventuallyAsync(() => harness.IsReady("good"), "the good FilterDeployment is Ready");
        await harness.EventuallyAsync(() => (string?)harness.Condition("broken", "ImageResolved")?["status"] == "False", "the broken one says its image is not resolved");
        Assert.Equal("ImageNotFound", (string?)harness.Condition("broken", "ImageResolved")!["reason"]);
        Assert.Equal("False", (string?)harness.Condition("broken", "Ready")!["status"]);
    }
}
