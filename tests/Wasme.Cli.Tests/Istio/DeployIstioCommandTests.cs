using System.Text.Json.Nodes;
using Wasme.Cli.Tests.Support;
using Wasme.Istio.Yaml;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cli.Tests.Istio;

/// <summary>The seed's two commands, and undeploy, against the in-process Kubernetes API server, through a kubeconfig.</summary>
public sealed class DeployIstioCommandTests : IAsyncLifetime
{
    private const string ProductpageAnnotations = """
        {"prometheus.io/scrape":"true","sidecar.istio.io/userVolume":"[{\"name\":\"certs\",\"secret\":{\"secretName\":\"productpage-certs\"}}]","sidecar.istio.io/userVolumeMount":"[{\"name\":\"certs\",\"mountPath\":\"/etc/certs\",\"readOnly\":true}]"}
        """;

    private KubernetesTestServer _server = null!;
    private readonly CliRunner _cli = IstioCli.Create();

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        await _server.InstallIstioCrdsAsync();
        _server.ApplyYaml("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: bookinfo}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: istio-system}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: istiod
              namespace: istio-system
              labels: {app: istiod}
            spec:
              selector: {matchLabels: {app: istiod}}
              template:
                metadata: {labels: {app: istiod}}
                spec:
                  containers:
                  - {name: discovery, image: docker.io/istio/pilot:1.5.1}
            """);
        _server.ApplyYaml(File.ReadAllText(Path.Combine(IstioCli.GoldenCase("hostpath-istio-1.7-existing-annotations"), "workloads.yaml")));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private JsonObject? EnvoyFilter(string name) => _server.Get("networking.istio.io/v1alpha3", "EnvoyFilter", "bookinfo", name);

    private JsonNode? PodAnnotations(string deployment) =>
        _server.Get("apps/v1", "Deployment", "bookinfo", deployment)!["spec"]!["template"]!["metadata"]!["annotations"];

    private Task<int> Wasme(params string[] args) => _cli.RunAsync([.. args, "--kubeconfig", _server.KubeconfigPath]);

    [Fact]
    public async Task The_seed_command_with_labels_creates_the_seed_EnvoyFilter_on_details_only()
    {
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "tomorrow", "--labels", "app=details", "--delivery", "hostpath", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("Istio 1.5", _cli.Error.Output, StringComparison.Ordinal);
        var created = EnvoyFilter("details-v1-myfilter");
        Assert.NotNull(created);
        var golden = YamlJson.ReadDocuments(File.ReadAllText(Path.Combine(IstioCli.GoldenCase("seed-envoyfilter-istio-1.5"), "expected.yaml")))[0];
        Assert.True(JsonNode.DeepEquals(golden["spec"], created["spec"]), created["spec"]!.ToJsonString());
        Assert.Null(EnvoyFilter("productpage-v1-myfilter"));
        Assert.Contains("wasme-cache", PodAnnotations("details-v1")!["sidecar.istio.io/userVolume"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ProductpageAnnotations), PodAnnotations("productpage-v1")));
    }

    [Fact]
    public async Task The_seed_command_without_labels_configures_every_deployment_in_the_namespace()
    {
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "tomorrow", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.NotNull(EnvoyFilter("details-v1-myfilter"));
        Assert.NotNull(EnvoyFilter("productpage-v1-myfilter"));
        // Remote delivery (the default) needs no annotations, so no pod restarts.
        Assert.Null(PodAnnotations("details-v1"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ProductpageAnnotations), PodAnnotations("productpage-v1")));
    }

    [Fact]
    public async Task Dry_run_prints_yaml_and_writes_nothing()
    {
        var before = _server.ResourceVersion;
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--delivery", "hostpath", "--dry-run", "-o", "yaml", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Equal(before, _server.ResourceVersion);
        Assert.Null(EnvoyFilter("details-v1-myfilter"));
        var documents = YamlJson.ReadDocuments(_cli.Out.Output);
        Assert.Equal(["EnvoyFilter", "EnvoyFilter", "Deployment", "Deployment"], documents.Select(d => d["kind"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Undeploy_removes_exactly_what_deploy_added_and_restores_annotations()
    {
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--delivery", "hostpath", .. IstioCli.SeedFacts]));
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=other", "--namespace=bookinfo", "--labels", "app=productpage", "--delivery", "hostpath", .. IstioCli.SeedFacts]));
        Assert.NotNull(EnvoyFilter("productpage-v1-myfilter"));

        var code = await Wasme("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo");

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Null(EnvoyFilter("details-v1-myfilter"));
        Assert.Null(EnvoyFilter("productpage-v1-myfilter"));
        Assert.NotNull(EnvoyFilter("productpage-v1-other"));
        // details-v1 had no annotations: none are left (an emptied map may remain, as after any merge patch).
        Assert.True(PodAnnotations("details-v1") is null or JsonObject { Count: 0 }, PodAnnotations("details-v1")?.ToJsonString());
        // "other" still needs the cache volume on productpage-v1.
        Assert.Contains("wasme-cache", PodAnnotations("productpage-v1")!["sidecar.istio.io/userVolume"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(0, await Wasme("undeploy", "istio", "--id", "other", "--namespace", "bookinfo", "--labels", "app=productpage"));
        Assert.Null(EnvoyFilter("productpage-v1-other"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ProductpageAnnotations), PodAnnotations("productpage-v1")), PodAnnotations("productpage-v1")?.ToJsonString());
    }

    [Fact]
    public async Task The_Istio_version_comes_from_the_istiod_of_the_namespace_revision()
    {
        // Two control planes; bookinfo is labelled for the 1.12 revision (original issue #245: only "istiod" was found).
        _server.ApplyYaml("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: bookinfo, labels: {istio.io/rev: 1-12}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: istiod-1-12
              namespace: istio-system
              labels: {app: istiod, istio.io/rev: 1-12}
            spec:
              selector: {matchLabels: {app: istiod, istio.io/rev: 1-12}}
              template:
                metadata: {labels: {app: istiod, istio.io/rev: 1-12}}
                spec:
                  containers:
                  - {name: discovery, image: docker.io/istio/pilot:1.12.2}
            """);
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", "--delivery", "wasmplugin", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("Istio 1.12 (from istio-system/istiod-1-12", _cli.Error.Output, StringComparison.Ordinal);
        var plugin = _server.Get("extensions.istio.io/v1alpha1", "WasmPlugin", "bookinfo", "details-v1-myfilter");
        Assert.NotNull(plugin);
        Assert.Equal(
            "oci://webassemblyhub.io/ceposta/demo-add-header@sha256:8a3b2f1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
            plugin["spec"]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_user_EnvoyFilter_with_the_same_name_is_not_overwritten()
    {
        _server.ApplyYaml("""
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: details-v1-myfilter, namespace: bookinfo}
            spec: {configPatches: []}
            """);
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("was not made by wasme", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Empty(EnvoyFilter("details-v1-myfilter")!["spec"]!["configPatches"]!.AsArray());
    }
}
