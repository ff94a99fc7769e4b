using System.Text.Json.Nodes;
using Wasme.Operator.FilterDeployments;
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

    [Theory]
    [InlineData("Remote")]
    [InlineData("HostPath")]
    [InlineData("WasmPlugin")]
    public async Task Seed_FilterDeployment_in_each_delivery_mode_becomes_Ready_and_covers_late_workloads(string delivery)
    {
        var image = await _registry.PushAsync($"modes/{delivery.ToLowerInvariant()}:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("details-v2", "details", "v2"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.StartOperator();

        await harness.KubectlApplyYamlAsync(Manifests.SeedFilterDeployment(image.Reference, delivery));

        await harness.EventuallyAsync(() => harness.IsReady(FilterName), "the FilterDeployment is Ready");
        var status = harness.FilterDeployment(FilterName)!["status"]!;
        Assert.Equal(image.ManifestDigest, (string?)status["imageDigest"]);
        Assert.Equal(image.ModuleSha256, (string?)status["moduleSha256"]);
        await AssertDeliveredAsync(harness, delivery, image, ["details-v1", "details-v2"]);

        harness.Apply(Manifests.Workload("details-v3", "details", "v3"));

        await harness.EventuallyAsync(
            () => harness.FilterDeployment(FilterName)!["status"]!["workloads"]!.AsObject().ContainsKey("details-v3"),
            "status lists the late workload");
        await AssertDeliveredAsync(harness, delivery, image, ["details-v1", "details-v2", "details-v3"]);
    }

    [Fact]
    public async Task WasmPlugin_delivery_of_a_string_config_says_why_it_cannot_and_how_to_fix_it()
    {
        var image = await _registry.PushAsync("modes/string-config:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference, config: "world", delivery: "WasmPlugin"));

        await harness.EventuallyAsync(() => harness.Condition(FilterName, "Ready") is not null, "the FilterDeployment has a Ready condition");
        var ready = harness.Condition(FilterName, "Ready")!;
        Assert.Equal("False", (string?)ready["status"]);
        Assert.Equal("InvalidSpec", (string?)ready["reason"]);
        Assert.Contains("spec.filter.config", (string?)ready["message"], StringComparison.Ordinal);
        Assert.Contains("JSON object", (string?)ready["message"], StringComparison.Ordinal);
        Assert.Empty(await harness.ListAsync("extensions.istio.io", "v1alpha1", "wasmplugins"));
    }

    [Theory]
    [InlineData("Opaque", true)]
    [InlineData("kubernetes.io/dockerconfigjson", false)]
    public async Task WasmPlugin_delivery_warns_when_istiod_cannot_pass_the_pull_secret_to_the_proxies(string secretType, bool warned)
    {
        // istiod hands istio-agent only kubernetes.io/dockerconfigjson Secrets (pilot/pkg/credentials/kube GetDockerCredential);
        // the username/password Secret the operator and cache accept leaves the proxies pulling without credentials.
        var image = await _registry.PushAsync("modes/pull-secret:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        var data = secretType == "Opaque"
            ? new JsonObject { ["username"] = Base64("robot"), ["password"] = Base64("s3cret") }
            : new JsonObject { [".dockerconfigjson"] = Base64(new JsonObject { ["auths"] = new JsonObject { [_registry.Host] = new JsonObject { ["auth"] = Base64("robot:s3cret") } } }.ToJsonString()) };
        harness.Apply(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "registry-creds", ["namespace"] = OperatorHarness.Namespace },
            ["type"] = secretType,
            ["data"] = data,
        });
        harness.StartOperator();

        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference, config: new JsonObject { ["greeting"] = "hi" }, delivery: "WasmPlugin", pullSecret: "registry-creds"));

        await harness.EventuallyAsync(() => harness.IsReady(FilterName), "the FilterDeployment is Ready");
        var applied = (string)harness.Condition(FilterName, "Applied")!["message"]!;
        Assert.Equal(warned, applied.Contains("kubernetes.io/dockerconfigjson", StringComparison.Ordinal));
        if (warned)
        {
            Assert.Contains("registry-creds", applied, StringComparison.Ordinal);
            Assert.Contains("kubectl create secret docker-registry", applied, StringComparison.Ordinal);
        }

        Assert.NotNull(harness.Server.Get("extensions.istio.io/v1alpha1", "WasmPlugin", OperatorHarness.Namespace, $"details-v1-{FilterId}"));
    }

    private static string Base64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task The_Istio_release_is_read_from_istiod_and_shapes_the_translation()
    {
        var image = await _registry.PushAsync("istio-version/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n");
        var istiod = Manifests.Workload("istiod", "istiod");
        istiod["metadata"]!["namespace"] = "istio-system";
        istiod["spec"]!["template"]!["spec"]!["containers"]![0]!["name"] = "discovery";
        istiod["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "docker.io/istio/pilot:1.11.4";
        harness.Apply(istiod);
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator(new FilterDeploymentOperatorOptions { DetectIstioVersion = true });

        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference, config: new System.Text.Json.Nodes.JsonObject { ["greeting"] = "world" }, delivery: "WasmPlugin"));

        await harness.EventuallyAsync(() => harness.Condition(FilterName, "Ready") is not null, "the FilterDeployment has a Ready condition");
        var ready = harness.Condition(FilterName, "Ready")!;
        Assert.Equal("InvalidConfiguration", (string?)ready["reason"]);
        Assert.Contains("Istio 1.11 has no WasmPlugin API", (string?)ready["message"], StringComparison.Ordinal);
    }

    // What each delivery mode must leave in the cluster: one object per selected workload (and none of the other kind).
    private static async Task AssertDeliveredAsync(OperatorHarness harness, string delivery, PushedImage image, string[] workloads)
    {
        var kind = delivery == "WasmPlugin" ? "WasmPlugin" : "EnvoyFilter";
        var apiVersion = delivery == "WasmPlugin" ? "extensions.istio.io/v1alpha1" : "networking.istio.io/v1alpha3";
        var produced = await harness.ListAsync(apiVersion.Split('/')[0], apiVersion.Split('/')[1], kind.ToLowerInvariant() + "s");
        Assert.Equal(workloads.Select(w => $"{w}-{FilterId}"), produced.Select(o => (string)o["metadata"]!["name"]!).Order());
        Assert.Empty(delivery == "WasmPlugin" ? await harness.EnvoyFiltersAsync() : await harness.ListAsync("extensions.istio.io", "v1alpha1", "wasmplugins"));
        foreach (var workload in workloads)
        {
            var resource = harness.Get(apiVersion, kind, $"{workload}-{FilterId}")!;
            Assert.Equal(workload.Split('-')[1], (string?)resource["spec"]!["selector"]?["matchLabels"]?["version"] ?? (string?)resource["spec"]!["workloadSelector"]!["labels"]!["version"]);
            if (delivery == "WasmPlugin")
            {
                Assert.Equal($"oci://{image.Reference[..image.Reference.LastIndexOf(':')]}@{image.ManifestDigest}", (string?)resource["spec"]!["url"]);
                Assert.Equal("world", (string?)resource["spec"]!["pluginConfig"]!["greeting"]);
                Assert.Equal("add_header", (string?)resource["spec"]!["pluginName"]);
                continue;
            }

            var config = resource["spec"]!["configPatches"]!.AsArray().Single(p => (string?)p!["applyTo"] == "HTTP_FILTER")!["patch"]!["value"]!["typed_config"]!["config"]!;
            Assert.Equal("world", (string?)config["configuration"]!["value"]);
            var code = config["vm_config"]!["code"]!;
            if (delivery == "HostPath")
            {
                Assert.Equal($"/var/local/lib/wasme-cache/{image.ModuleSha256}", (string?)code["local"]!["filename"]);
                var annotations = harness.Get("apps/v1", "Deployment", workload)!["spec"]!["template"]!["metadata"]!["annotations"]!;
                Assert.Contains("wasme-cache", (string?)annotations["sidecar.istio.io/userVolume"], StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(image.ModuleSha256, (string?)code["remote"]!["sha256"]);
            }
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
