using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>
/// What kube-apiserver refuses in the selectors of apps/v1 workloads, as an install or upgrade meets it through
/// kubectl: a template its selector does not select, a missing or empty selector, and a selector changed after
/// create (the classic failed upgrade of a release that changed its selector labels).
/// </summary>
public sealed class KubectlWorkloadValidationTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_TemplateLabelsTheSelectorDoesNotMatch_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Workload("Deployment", "web", "{app: web}", "{app: other}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
            result.Stderr.Trim());
        Assert.Null(_server.Get("apps/v1", "Deployment", "default", "web"));
    }

    [Fact]
    public async Task Apply_DeploymentWithoutSelector_IsRefusedTwice()
    {
        var manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: default}
            spec:
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: app, image: example.com/web:1}]
            """;

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The Deployment \"web\" is invalid: \n* spec.selector: Required value\n"
            + "* spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Apply_EmptyDaemonSetSelector_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("ds.yaml", Workload("DaemonSet", "cache", "{}", "{app: cache}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The DaemonSet \"cache\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset",
            result.Stderr.Trim());
    }

    [Theory]
    [InlineData("Deployment", "deployment.apps/web")]
    [InlineData("DaemonSet", "daemonset.apps/web")]
    [InlineData("ReplicaSet", "replicaset.apps/web")]
    public async Task Reapply_WithAnotherSelectorLabel_IsRefusedAsImmutable(string kind, string created)
    {
        Assert.Contains($"{created} created", await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("v1.yaml", Workload(kind, "web", "{app: web}", "{app: web}"))));

        // What an upgrade whose kustomization starts adding its common labels to selectors sends.
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("v2.yaml", Workload(kind, "web", "{app: web, part-of: shop}", "{app: web, part-of: shop}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(
            $"The {kind} \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string{{\"app\":\"web\", \"part-of\":\"shop\"}}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: field is immutable",
            result.Stderr);
        Assert.Equal("web", (string?)_server.Get("apps/v1", kind, "default", "web")!["spec"]!["selector"]!["matchLabels"]!.AsObject().Single().Value);
    }

    [Fact]
    public async Task Reapply_StatefulSetWithAnotherSelector_IsForbidden()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("v1.yaml", Workload("StatefulSet", "db", "{app: db}", "{app: db}")));

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("v2.yaml", Workload("StatefulSet", "db", "{app: db, tier: data}", "{app: db, tier: data}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(
            "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            result.Stderr);
    }

    [Fact]
    public async Task Reapply_WithChangedTemplateLabelsTheSelectorStillMatches_Succeeds()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("v1.yaml", Workload("Deployment", "web", "{app: web}", "{app: web}")));

        var output = await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("v2.yaml", Workload("Deployment", "web", "{app: web}", "{app: web, version: v2}")));

        Assert.Contains("deployment.apps/web configured", output);
    }

    [Fact]
    public async Task Apply_SelectorWithMatchExpressions_SelectsByThem()
    {
        var selector = "{matchExpressions: [{key: app, operator: In, values: [web, api]}, {key: canary, operator: DoesNotExist}]}";
        var manifest = Workload("Deployment", "web", "{app: web}", "{app: api}").Replace("selector: {matchLabels: {app: web}}", $"selector: {selector}", StringComparison.Ordinal);

        Assert.Contains("deployment.apps/web created", await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", manifest)));

        var refused = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("e.yaml", manifest.Replace("name: web", "name: canary", StringComparison.Ordinal).Replace("labels: {app: api}", "labels: {app: api, canary: \"yes\"}", StringComparison.Ordinal)));
        Assert.Contains("spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\", \"canary\":\"yes\"}: `selector` does not match template `labels`", refused.Stderr);
    }

    private static string Workload(string kind, string name, string matchLabels, string templateLabels) => $$"""
        apiVersion: apps/v1
        kind: {{kind}}
        metadata: {name: {{name}}, namespace: default}
        spec:
          {{(kind == "StatefulSet" ? $"serviceName: {name}" : "")}}
          selector: {matchLabels: {{matchLabels}}}
          template:
            metadata: {labels: {{templateLabels}}}
            spec:
              containers: [{name: app, image: example.com/app:1}]
        """;
}
