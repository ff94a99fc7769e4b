using Wasme.Istio.Api;
using Wasme.Istio.Rendering;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Istio.Versions;
using Wasme.Istio.Workloads;

namespace Wasme.Istio.Tests;

public sealed class ValidationTests
{
    private static FilterDeployment Parse(string yaml)
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll(yaml));
        Assert.True(document.Deployment is not null, string.Join("\n", document.Problems));
        return document.Deployment;
    }

    private static readonly Workload Details = new(
        WorkloadKind.Deployment, "details-v1", "bookinfo",
        new Dictionary<string, string> { ["app"] = "details" },
        new Dictionary<string, string> { ["app"] = "details", ["version"] = "v1" },
        new Dictionary<string, string>());

    private static FilterDeployment WithDelivery(string delivery, string config) => Parse($"""
        apiVersion: wasme.io/v1
        kind: FilterDeployment
        metadata: {"{"}name: f, namespace: bookinfo{"}"}
        spec:
          deployment:
            istio: {"{"}kind: Deployment, delivery: {delivery}{"}"}
          filter:
            image: webassemblyhub.io/ceposta/demo-add-header:v0.2
            config: {config}
        """);

    [Fact]
    public void A_bad_file_reports_every_problem_at_once_with_path_value_and_fix()
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata:
              name: broken
            spec:
              deployment:
                istio:
                  kind: Pod
                  delivery: Carrier
              filter:
                config: 12
                patchContext: sideways
            """));

        Assert.Null(document.Deployment);
        var paths = document.Problems.Select(p => p.Path).ToList();
        Assert.Contains("spec.filter.image", paths);
        Assert.Contains("spec.filter.config", paths);
        Assert.Contains("spec.filter.patchContext", paths);
        Assert.Contains("spec.deployment.istio.kind", paths);
        Assert.Contains("spec.deployment.istio.delivery", paths);
        var kind = document.Problems.Single(p => p.Path == "spec.deployment.istio.kind");
        Assert.Equal("Pod", kind.Value);
        Assert.Contains("StatefulSet", kind.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_yaml_names_the_line()
    {
        var problem = Assert.Single(Assert.Single(FilterDeploymentReader.ReadAll("spec:\n  filter: [unclosed\n")).Problems);
        Assert.Contains("line", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_StringValue_with_a_non_string_value_is_an_error_not_silently_dropped()
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment}}
              filter:
                image: webassemblyhub.io/ceposta/demo-add-header:v0.2
                config: {'@type': type.googleapis.com/google.protobuf.StringValue, value: {nested: true}}
            """));
        var problem = Assert.Single(document.Problems);
        Assert.Equal("spec.filter.config.value", problem.Path);
    }

    [Fact]
    public void An_Any_of_another_type_is_an_error_naming_StringValue()
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment}}
              filter:
                image: webassemblyhub.io/ceposta/demo-add-header:v0.2
                config: {'@type': type.googleapis.com/google.protobuf.Struct, value: {}}
            """));
        var problem = Assert.Single(document.Problems);
        Assert.Equal("spec.filter.config.@type", problem.Path);
        Assert.Contains("StringValue", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void WasmPlugin_delivery_refuses_a_string_config_it_cannot_pass()
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, delivery: WasmPlugin}}
              filter:
                image: webassemblyhub.io/ceposta/demo-add-header:v0.2
                config: plain text
            """));
        var problem = Assert.Single(document.Problems);
        Assert.Equal("spec.filter.config", problem.Path);
        Assert.Equal("plain text", problem.Value);
        Assert.Contains("JSON object", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void WasmPlugin_delivery_from_a_plain_HTTP_registry_is_translated_and_skip_verify_is_a_warning()
    {
        var fd = Parse("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, delivery: WasmPlugin, labels: {app: details}}}
              filter:
                image: registry.internal:5000/team/filter:v1
                config: {greeting: hello}
                imagePullOptions: {plainHttp: true, insecureSkipVerify: true}
            """);
        var result = FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [Details], new TranslationOptions());
        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.Equal("WasmPlugin", Assert.Single(result.Resources).Kind);
        Assert.Contains(result.Warnings, w => w.Contains("WASM_INSECURE_REGISTRIES", StringComparison.Ordinal) && w.Contains("registry.internal:5000", StringComparison.Ordinal));
    }

    [Fact]
    public void WasmPlugin_delivery_needs_Istio_1_12()
    {
        var result = FilterDeploymentTranslator.Translate(WithDelivery("WasmPlugin", "{a: 1}"), GoldenCase.DefaultFacts, [Details], new TranslationOptions { IstioVersion = new(1, 11) });
        Assert.Equal("spec.deployment.istio.delivery", Assert.Single(result.Problems).Path);
    }

    [Theory]
    [InlineData("Remote", "FailOpen", 1, 9)]
    [InlineData("HostPath", "FailOpen", 1, 9)]
    [InlineData("Remote", "FailReload", 1, 27)]
    [InlineData("WasmPlugin", "FailReload", 1, 27)]
    [InlineData("WasmPlugin", "FailOpen", 1, 12)]
    public void A_fail_strategy_is_translated_from_the_release_that_has_it_and_refused_before(string delivery, string strategy, int major, int minor)
    {
        var fd = WithDelivery(delivery, "{a: 1}");
        fd.Spec.Filter!.FailStrategy = Enum.Parse<FailStrategy>(strategy);
        var first = new IstioVersion(major, minor);

        var accepted = FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [Details], new TranslationOptions { IstioVersion = first });
        var refused = FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [Details], new TranslationOptions { IstioVersion = new(major, minor - 1) });

        Assert.True(accepted.Succeeded, string.Join("; ", accepted.Problems));
        var problem = Assert.Single(refused.Problems);
        Assert.Contains(first.ToString(), problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inbound", "Remote", true)]
    [InlineData("outbound", "HostPath", true)]
    [InlineData("gateway", "Remote", false)]
    [InlineData("any", "Remote", false)]
    [InlineData("inbound", "WasmPlugin", true)] // match mode SERVER: istiod counts a gateway's listeners as CLIENT
    [InlineData("outbound", "WasmPlugin", false)] // mode CLIENT matches them
    [InlineData("gateway", "WasmPlugin", false)]
    public void A_sidecar_patch_context_on_an_Istio_gateway_is_a_warning_naming_the_fix(string context, string delivery, bool warned)
    {
        var fd = WithDelivery(delivery, delivery == "WasmPlugin" ? "{a: 1}" : "x");
        fd.Spec.Filter!.PatchContext = Enum.Parse<PatchContext>(context, ignoreCase: true);
        var gateway = Details with
        {
            Name = "istio-ingressgateway",
            PodTemplateLabels = new Dictionary<string, string> { ["app"] = "istio-ingressgateway", ["istio"] = "ingressgateway" },
        };

        var result = FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [gateway], new TranslationOptions());

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        var warning = result.Warnings.SingleOrDefault(w => w.Contains("istio-ingressgateway", StringComparison.Ordinal));
        Assert.Equal(warned, warning is not null);
        if (warning is not null)
        {
            Assert.Contains($"patchContext {context} configures nothing there", warning, StringComparison.Ordinal);
            Assert.Contains("patchContext: gateway", warning, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("a.-b")]
    [InlineData("a-.b")]
    public void A_filter_id_that_cannot_end_an_object_name_is_refused_with_the_fix(string id)
    {
        var fd = WithDelivery("Remote", "x");
        fd.Spec.Filter!.Id = id;

        var problem = Assert.Single(FilterDeploymentValidator.Validate(fd));

        Assert.Equal("spec.filter.id", problem.Path);
        Assert.Equal(id, problem.Value);
        Assert.Contains("dot-separated", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("WasmPlugin", "{}", true)]
    [InlineData("WasmPlugin", "{a: 1}", false)]
    [InlineData("Remote", "{}", false)] // the EnvoyFilter carries the text "{}"
    public void An_empty_object_config_under_WasmPlugin_warns_that_the_filter_gets_no_configuration(string delivery, string config, bool warned)
    {
        var result = FilterDeploymentTranslator.Translate(WithDelivery(delivery, config), GoldenCase.DefaultFacts, [Details], new TranslationOptions());

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.Equal(warned, result.Warnings.Any(w => w.Contains("no configuration at all", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("Remote", "EnvoyFilter")]
    [InlineData("WasmPlugin", "WasmPlugin")]
    public void A_selector_that_also_matches_another_workloads_pods_is_a_warning_naming_both(string delivery, string kind)
    {
        // details-v1's pods carry app=details only, so its object's selector also reaches details-v2's pods, which get
        // their own object too: the filter would run twice there. A DaemonSet's pods with those labels get it once.
        var v1 = Details with { PodTemplateLabels = new Dictionary<string, string> { ["app"] = "details" } };
        var v2 = Details with { Name = "details-v2", PodTemplateLabels = new Dictionary<string, string> { ["app"] = "details", ["version"] = "v2" } };
        var agent = Details with { Kind = WorkloadKind.DaemonSet, Name = "details-agent", Labels = new Dictionary<string, string>(), PodTemplateLabels = new Dictionary<string, string> { ["app"] = "details", ["role"] = "agent" } };

        var result = FilterDeploymentTranslator.Translate(WithDelivery(delivery, delivery == "WasmPlugin" ? "{a: 1}" : "x"), GoldenCase.DefaultFacts, [v1, v2, agent], new TranslationOptions());

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        var warning = Assert.Single(result.Warnings, w => w.Contains("also carry", StringComparison.Ordinal));
        Assert.Contains($"{kind} details-v1-f.bookinfo selects pods by app=details", warning, StringComparison.Ordinal);
        Assert.Contains("Deployment details-v2 (which gets its own, so the filter runs twice there)", warning, StringComparison.Ordinal);
        Assert.Contains("DaemonSet details-agent", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Warnings, w => w.Contains("details-v2-f.bookinfo selects", StringComparison.Ordinal));
    }

    [Fact]
    public void WasmPlugin_delivery_refuses_an_image_root_id_longer_than_istiod_allows_for_pluginName()
    {
        var facts = GoldenCase.DefaultFacts with { RootIds = [new string('r', 257)] };

        var plugin = FilterDeploymentTranslator.Translate(WithDelivery("WasmPlugin", "{a: 1}"), facts, [Details], new TranslationOptions());
        var envoyFilter = FilterDeploymentTranslator.Translate(WithDelivery("Remote", "x"), facts, [Details], new TranslationOptions());
        var exactly256 = FilterDeploymentTranslator.Translate(WithDelivery("WasmPlugin", "{a: 1}"), facts with { RootIds = [new string('r', 256)] }, [Details], new TranslationOptions());

        var problem = Assert.Single(plugin.Problems);
        Assert.Equal("spec.filter.rootID", problem.Path);
        Assert.Contains("pluginName", problem.Reason, StringComparison.Ordinal);
        Assert.True(envoyFilter.Succeeded, string.Join("; ", envoyFilter.Problems));
        Assert.True(exactly256.Succeeded, string.Join("; ", exactly256.Problems));
    }

    [Theory]
    [InlineData("gateway", "GATEWAY")]
    [InlineData("sidecar,gateway", "GATEWAY")]
    [InlineData("sidecar", "SIDECAR_INBOUND")]
    public void A_gateway_installed_with_the_gateway_chart_gets_the_gateway_context_whatever_its_name(string templates, string context)
    {
        // istio/gateway's chart labels the pods istio=<release name>, so a gateway not named istio-ingressgateway carries neither
        // istio=ingressgateway nor a Gateway API label; its pod template asks the injector for the gateway template instead.
        var gateway = Details with
        {
            Name = "internal-gw",
            PodTemplateLabels = new Dictionary<string, string> { ["app"] = "internal-gw", ["istio"] = "internal-gw" },
            PodTemplateAnnotations = new Dictionary<string, string> { ["inject.istio.io/templates"] = templates },
        };

        var result = FilterDeploymentTranslator.Translate(WithDelivery("Remote", "x"), GoldenCase.DefaultFacts, [gateway], new TranslationOptions());

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        var patch = Assert.Single(result.Resources).Manifest["spec"]!["configPatches"]!.AsArray().Single(p => (string?)p!["applyTo"] == "HTTP_FILTER")!;
        Assert.Equal(context, (string?)patch["match"]!["context"]);
    }

    [Theory]
    [InlineData("gateway-detected", true)]
    [InlineData("seed-filterdeployment-remote", false)]
    [InlineData("wasmplugin-statefulset", false)]
    public void An_object_in_the_Istio_root_namespace_warns_that_it_reaches_every_namespace(string name, bool warned)
    {
        var golden = GoldenCase.Load(name);

        var result = golden.Translate();

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        var warning = result.Warnings.SingleOrDefault(w => w.Contains("root namespace", StringComparison.Ordinal));
        Assert.Equal(warned, warning is not null);
        if (warning is not null)
        {
            Assert.Contains("EnvoyFilter istio-ingressgateway-edge-filter", warning, StringComparison.Ordinal);
            Assert.Contains("in any namespace whose pods carry app=istio-ingressgateway,istio=ingressgateway", warning, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_image_whose_ABI_the_Istio_release_lacks_is_refused_unless_the_check_is_ignored()
    {
        var facts = GoldenCase.DefaultFacts with { AbiVersions = ["v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f"] };
        var options = new TranslationOptions { IstioVersion = new(1, 8) };
        var refused = FilterDeploymentTranslator.Translate(WithDelivery("Remote", "x"), facts, [Details], options);
        var problem = Assert.Single(refused.Problems);
        Assert.Contains("Istio 1.8", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("--ignore-version-check", problem.Fix, StringComparison.Ordinal);

        var forced = FilterDeploymentTranslator.Translate(WithDelivery("Remote", "x"), facts, [Details], options with { IgnoreVersionCheck = true });
        Assert.True(forced.Succeeded);
        Assert.Single(forced.Resources);
    }

    [Fact]
    public void Selection_uses_the_workload_object_labels_kind_and_namespace()
    {
        var other = Details with { Name = "details-v2", Namespace = "elsewhere" };
        var daemon = Details with { Name = "details-ds", Kind = WorkloadKind.DaemonSet };
        var unlabelled = Details with { Name = "ratings", Labels = new Dictionary<string, string> { ["app"] = "ratings" } };
        var fd = Parse("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, labels: {app: details}}}
              filter: {image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """);
        var result = FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [other, daemon, unlabelled, Details], new TranslationOptions());
        Assert.Equal(["details-v1"], result.SelectedWorkloads.Select(w => w.Name));
        Assert.Equal(["details-v1-f.bookinfo"], result.Resources.Select(r => r.Name));
    }

    [Fact]
    public void Operator_output_is_owned_by_the_FilterDeployment_and_CLI_output_is_not()
    {
        var fd = Parse("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo, uid: 1b2c3d4e-0000-4000-8000-000000000001}
            spec:
              deployment: {istio: {kind: Deployment}}
              filter: {id: f, image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """);
        var owned = Assert.Single(FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [Details], new TranslationOptions()).Resources).Manifest["metadata"]!;
        Assert.Equal("1b2c3d4e-0000-4000-8000-000000000001", owned["ownerReferences"]![0]!["uid"]!.GetValue<string>());
        Assert.Equal("f", owned["labels"]!["wasme.io/filter-deployment"]!.GetValue<string>());

        var standalone = Assert.Single(FilterDeploymentTranslator.Translate(fd, GoldenCase.DefaultFacts, [Details], new TranslationOptions { Standalone = true }).Resources).Manifest["metadata"]!;
        Assert.Null(standalone["ownerReferences"]);
        Assert.Null(standalone["labels"]!["wasme.io/filter-deployment"]);
        Assert.Equal("f", standalone["labels"]!["wasme.io/filter-id"]!.GetValue<string>());
        Assert.Equal("wasme", standalone["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("1.5.1", 1, 5)]
    [InlineData("v1.8.0-alpha.0", 1, 8)]
    [InlineData("1.20.3-distroless", 1, 20)]
    [InlineData("1.12", 1, 12)]
    public void Istio_versions_parse_from_tags(string text, int major, int minor)
    {
        Assert.True(IstioVersion.TryParse(text, out var version));
        Assert.Equal(new IstioVersion(major, minor), version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("master-abc")]
    public void Unparseable_istio_versions_are_reported_not_guessed(string text) =>
        Assert.False(IstioVersion.TryParse(text, out _));

    [Theory]
    [InlineData(1, 5, "v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f", true)]
    [InlineData(1, 7, "v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f", false)]
    [InlineData(1, 8, "v0-4689a30309abf31aee9ae36e73d34b1bb182685f", true)]
    [InlineData(1, 8, "v0.2.1", false)]
    [InlineData(1, 20, "v0.2.1", true)]
    [InlineData(1, 20, "proxy_abi_version_0_2_1", true)]
    public void The_ABI_table_matches_the_original_registry_and_newer_releases(int major, int minor, string abi, bool supported) =>
        Assert.Equal(supported, IstioCompatibility.SupportsAny(new IstioVersion(major, minor), [abi]));
}
