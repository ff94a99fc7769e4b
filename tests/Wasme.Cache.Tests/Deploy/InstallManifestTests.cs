using System.Text.Json.Nodes;
using Wasme.Cache.Tests.Support;
using Wasme.Testing.Kubernetes;
using YamlDotNet.RepresentationModel;

namespace Wasme.Cache.Tests.Deploy;

/// <summary>
/// deploy/ renders with the real kubectl, passes yamllint, applies to the Kubernetes API test
/// server (the CRD included), and keeps the promises docs/install.md makes about it.
/// </summary>
public sealed class InstallManifestTests
{
    private static readonly Lazy<Task<string>> Rendered = new(RenderAsync);

    private static async Task<string> RenderAsync()
    {
        var result = await ExternalProcess.RunAsync("kubectl", ["kustomize", "deploy"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output;
    }

    private static async Task<List<YamlMappingNode>> DocumentsAsync()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(await Rendered.Value));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static string Kind(YamlMappingNode document) => document["kind"].ToString();

    private static string Name(YamlMappingNode document) => ((YamlMappingNode)document["metadata"])["name"].ToString();

    private static YamlMappingNode Workload(List<YamlMappingNode> documents, string kind, string name) =>
        documents.Single(d => Kind(d) == kind && Name(d) == name);

    private static YamlNode? At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    [Fact]
    public async Task Renders_every_part_of_the_installation()
    {
        var documents = await DocumentsAsync();
        var kinds = documents.Select(d => $"{Kind(d)}/{Name(d)}").ToHashSet();

        Assert.Contains("Namespace/wasme", kinds);
        Assert.Contains("CustomResourceDefinition/filterdeployments.wasme.io", kinds);
        Assert.Contains("Deployment/wasme-operator", kinds);
        Assert.Contains("DaemonSet/wasme-cache", kinds);
        Assert.Contains("Service/wasme-cache", kinds);
        Assert.Contains("NetworkPolicy/wasme-cache", kinds);
        Assert.Contains("ServiceAccount/wasme-cache", kinds);
        Assert.Contains("ServiceAccount/wasme-operator", kinds);
        Assert.Contains("ClusterRole/wasme-operator", kinds);
        Assert.Contains("ClusterRoleBinding/wasme-operator", kinds);
        Assert.Contains("Role/wasme-operator-leader-election", kinds);
        Assert.Contains("RoleBinding/wasme-operator-leader-election", kinds);
        Assert.All(documents.Where(d => Kind(d) is not ("Namespace" or "CustomResourceDefinition" or "ClusterRole" or "ClusterRoleBinding")),
            d => Assert.Equal("wasme", At(d, "metadata", "namespace")?.ToString()));
    }

    [Fact]
    public async Task Sources_and_rendered_output_pass_yamllint()
    {
        var rendered = Path.Combine(Path.GetTempPath(), $"wasme-rendered-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rendered, await Rendered.Value);
        try
        {
            var sources = await ExternalProcess.RunAsync("yamllint", ["-c", "deploy/.yamllint.yaml", "deploy/kustomization.yaml", "deploy/namespace.yaml", "deploy/cache", "deploy/operator", "deploy/rbac"]);
            Assert.True(sources.ExitCode == 0, sources.ToString());
            var output = await ExternalProcess.RunAsync("yamllint", ["-c", "deploy/.yamllint.yaml", rendered]);
            Assert.True(output.ExitCode == 0, output.ToString());
        }
        finally
        {
            File.Delete(rendered);
        }
    }

    [Theory]
    [InlineData("Deployment", "wasme-operator", true)]
    [InlineData("DaemonSet", "wasme-cache", true)]
    public async Task Workloads_are_hardened_and_observable(string kind, string name, bool scraped)
    {
        var pod = (YamlMappingNode)At(Workload(await DocumentsAsync(), kind, name), "spec", "template")!;

        Assert.Equal("true", At(pod, "spec", "securityContext", "runAsNonRoot")?.ToString());
        Assert.Equal("RuntimeDefault", At(pod, "spec", "securityContext", "seccompProfile", "type")?.ToString());
        Assert.Equal(scraped ? "true" : null, At(pod, "metadata", "annotations", "prometheus.io/scrape")?.ToString());
        foreach (YamlMappingNode container in (YamlSequenceNode)At(pod, "spec", "containers")!)
        {
            Assert.Equal("true", At(container, "securityContext", "readOnlyRootFilesystem")?.ToString());
            Assert.Equal("false", At(container, "securityContext", "allowPrivilegeEscalation")?.ToString());
            Assert.Equal("[ ALL ]", At(container, "securityContext", "capabilities", "drop")?.ToString());
            Assert.NotNull(At(container, "resources", "requests", "cpu"));
            Assert.NotNull(At(container, "resources", "limits", "memory"));
            Assert.NotNull(At(container, "livenessProbe", "httpGet"));
            Assert.NotNull(At(container, "readinessProbe", "httpGet"));
        }
    }

    [Fact]
    public async Task Cache_daemonset_knows_its_node_and_the_service_and_policy_reach_its_port()
    {
        var documents = await DocumentsAsync();
        var daemonSet = Workload(documents, "DaemonSet", "wasme-cache");
        var container = (YamlMappingNode)((YamlSequenceNode)At(daemonSet, "spec", "template", "spec", "containers")!)[0];
        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => e["name"].ToString());

        Assert.Equal("spec.nodeName", At(env["NODE_NAME"], "valueFrom", "fieldRef", "fieldPath")?.ToString());
        Assert.Equal("/var/local/lib/wasme-cache", At((YamlMappingNode)((YamlSequenceNode)At(daemonSet, "spec", "template", "spec", "volumes")!)[0], "hostPath", "path")?.ToString());
        var podLabels = (YamlMappingNode)At(daemonSet, "spec", "template", "metadata", "labels")!;
        var service = Workload(documents, "Service", "wasme-cache");
        foreach (var (key, value) in (YamlMappingNode)At(service, "spec", "selector")!)
        {
            Assert.Equal(value.ToString(), podLabels[key].ToString());
        }

        Assert.Equal("9979", At((YamlMappingNode)((YamlSequenceNode)At(service, "spec", "ports")!)[0], "port")?.ToString());
        var policy = Workload(documents, "NetworkPolicy", "wasme-cache");
        foreach (var (key, value) in (YamlMappingNode)At(policy, "spec", "podSelector", "matchLabels")!)
        {
            Assert.Equal(value.ToString(), podLabels[key].ToString());
        }

        Assert.Contains("9979", At(policy, "spec", "ingress")!.ToString(), StringComparison.Ordinal);
        // A standby replica is safe only because the operator runs behind its Lease.
        var operatorPod = Workload(documents, "Deployment", "wasme-operator");
        Assert.Equal("2", At(operatorPod, "spec", "replicas")!.ToString());
        Assert.Contains("--leader-elect", At(operatorPod, "spec", "template", "spec", "containers")!.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Deployment", "wasme-operator")]
    [InlineData("DaemonSet", "wasme-cache")]
    public async Task Each_workload_runs_as_a_rendered_service_account_bound_to_its_roles(string kind, string name)
    {
        var documents = await DocumentsAsync();
        var account = At(Workload(documents, kind, name), "spec", "template", "spec", "serviceAccountName")?.ToString();

        Assert.NotNull(account);
        Assert.Contains(documents, d => Kind(d) == "ServiceAccount" && Name(d) == account);
        var bindings = documents.Where(d => Kind(d) is "RoleBinding" or "ClusterRoleBinding"
            && ((YamlSequenceNode)d["subjects"]).Cast<YamlMappingNode>().Any(s => s["kind"].ToString() == "ServiceAccount" && s["name"].ToString() == account && s["namespace"].ToString() == "wasme"))
            .ToList();
        Assert.NotEmpty(bindings);
        foreach (var binding in bindings)
        {
            // Every binding points at a role the installation itself renders (none left dangling).
            Assert.Contains(documents, d => Kind(d) == At(binding, "roleRef", "kind")?.ToString() && Name(d) == At(binding, "roleRef", "name")?.ToString());
        }
    }

    [Fact]
    public async Task Rendered_manifests_apply_to_the_api_server_with_kubectl()
    {
        var documents = await DocumentsAsync();
        await using var server = await KubernetesTestServer.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"wasme-install-{Guid.NewGuid():N}.yaml");
        // Every rendered kind is served, NetworkPolicy included (the E2E tests install with kubectl apply -k).
        var text = new YamlStream(documents.Select(d => new YamlDocument(d)));
        await using (var writer = new StreamWriter(file))
        {
            text.Save(writer, assignAnchors: false);
        }

        try
        {
            var env = new Dictionary<string, string> { ["KUBECONFIG"] = server.KubeconfigPath };
            var apply = await ExternalProcess.RunAsync("kubectl", ["apply", "--validate=false", "-f", file], env);
            Assert.True(apply.ExitCode == 0, apply.ToString());

            var daemonSet = await ExternalProcess.RunAsync("kubectl", ["get", "daemonset", "wasme-cache", "-n", "wasme", "-o", "json"], env);
            Assert.True(daemonSet.ExitCode == 0, daemonSet.ToString());
            Assert.Equal("wasme-cache", JsonNode.Parse(daemonSet.Output)!["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());
            var role = await ExternalProcess.RunAsync("kubectl", ["get", "clusterrole", "wasme-operator", "-o", "json"], env);
            Assert.True(role.ExitCode == 0, role.ToString());
            Assert.DoesNotContain("\"*\"", role.Output, StringComparison.Ordinal);

            // The CRD is served: the API accepts a FilterDeployment, as the cache and operator will read it.
            var crd = await ExternalProcess.RunAsync("kubectl", ["get", "crd", "filterdeployments.wasme.io", "-o", "name"], env);
            Assert.True(crd.ExitCode == 0, crd.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
