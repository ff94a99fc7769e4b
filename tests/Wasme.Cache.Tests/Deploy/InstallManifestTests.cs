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
    private static readonly Lazy<Task<string>> Rendered = new(() => RenderAsync("deploy"));

    // What docs/install.md tells users to write for HostPath delivery: deploy/ plus the deploy/hostpath component.
    private static readonly Lazy<string> HostPathOverlay = new(() =>
    {
        // Beside the test binaries, rewritten each run: kustomize wants relative paths, and nothing is left in /tmp.
        var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "hostpath-overlay")).FullName;
        var deploy = Path.GetRelativePath(directory, Path.Combine(ExternalProcess.RepositoryRoot, "deploy"));
        File.WriteAllText(Path.Combine(directory, "kustomization.yaml"), $"""
            resources:
              - {deploy}
            components:
              - {deploy}/hostpath
            """);
        return directory;
    });

    private static readonly Lazy<Task<string>> RenderedHostPath = new(() => RenderAsync(HostPathOverlay.Value));

    private static async Task<string> RenderAsync(string directory)
    {
        var result = await ExternalProcess.RunAsync("kubectl", ["kustomize", directory]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output;
    }

    private static async Task<List<YamlMappingNode>> DocumentsAsync() => Parse(await Rendered.Value);

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
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
        Assert.Contains("CustomResourceDefinition/cachenoderecords.wasme.io", kinds);
        Assert.Contains("Deployment/wasme-operator", kinds);
        Assert.Contains("PodDisruptionBudget/wasme-operator", kinds);
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
    public async Task Every_object_has_only_fields_its_kind_declares()
    {
        // kube-apiserver decodes built-in kinds strictly (kubectl's default field validation is Strict) and refuses a
        // misspelt field; the test API server has no schemas for built-in kinds, so the install's objects are decoded
        // here into KubernetesClient's models, which are generated from the same OpenAPI definitions, just as strictly.
        foreach (var yaml in new[] { await Rendered.Value, await RenderedHostPath.Value })
        {
            var objects = k8s.KubernetesYaml.LoadAllFromString(yaml, strict: true);
            Assert.Equal(Parse(yaml).Count, objects.Count);
            Assert.All(objects, o => Assert.IsNotType<object>(o, exactMatch: true));
        }
    }

    [Fact]
    public async Task Sources_and_rendered_output_pass_yamllint()
    {
        var rendered = Path.Combine(Path.GetTempPath(), $"wasme-rendered-{Guid.NewGuid():N}.yaml");
        var renderedHostPath = Path.Combine(Path.GetTempPath(), $"wasme-rendered-hostpath-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rendered, await Rendered.Value);
        await File.WriteAllTextAsync(renderedHostPath, await RenderedHostPath.Value);
        try
        {
            var sources = await ExternalProcess.RunAsync("yamllint",
                ["-c", "deploy/.yamllint.yaml", "deploy/kustomization.yaml", "deploy/namespace.yaml", "deploy/cache", "deploy/operator", "deploy/rbac", "deploy/hostpath"]);
            Assert.True(sources.ExitCode == 0, sources.ToString());
            var output = await ExternalProcess.RunAsync("yamllint", ["-c", "deploy/.yamllint.yaml", rendered, renderedHostPath]);
            Assert.True(output.ExitCode == 0, output.ToString());
        }
        finally
        {
            File.Delete(rendered);
            File.Delete(renderedHostPath);
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
        Assert.NotNull(At((YamlMappingNode)((YamlSequenceNode)At(daemonSet, "spec", "template", "spec", "volumes")!)[0], "emptyDir"));
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

    // docs/install.md: "To change the image, namespace or resources, write an overlay".
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_overlay_that_moves_the_installation_to_another_namespace_moves_every_binding_and_URL(bool hostPath)
    {
        var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, hostPath ? "namespace-overlay-hostpath" : "namespace-overlay")).FullName;
        var deploy = Path.GetRelativePath(directory, Path.Combine(ExternalProcess.RepositoryRoot, "deploy"));
        File.WriteAllText(Path.Combine(directory, "kustomization.yaml"), $"""
            namespace: platform-wasme
            resources:
              - {deploy}
            {(hostPath ? $"components:\n  - {deploy}/hostpath" : string.Empty)}
            """);
        var rendered = await RenderAsync(directory);
        var documents = Parse(rendered);

        Assert.Equal("platform-wasme", Name(documents.Single(d => Kind(d) == "Namespace")));
        Assert.Empty(documents.Where(d => At(d, "metadata", "namespace")?.ToString() is { } ns && ns != "platform-wasme").Select(Name));
        var subjects = documents.Where(d => Kind(d) is "RoleBinding" or "ClusterRoleBinding")
            .SelectMany(d => ((YamlSequenceNode)d["subjects"]).Cast<YamlMappingNode>().Select(s => $"{Name(d)} -> {s["namespace"]}/{s["name"]}"))
            .ToList();
        Assert.NotEmpty(subjects);
        Assert.All(subjects, s => Assert.Contains(" -> platform-wasme/", s, StringComparison.Ordinal));
        // The operator points Remote EnvoyFilters at the cache Service of its own namespace, not at a fixed one.
        Assert.DoesNotContain(".wasme.svc", rendered, StringComparison.Ordinal);

        // And a cluster takes the moved installation: the test server validates every built-in object as kube-apiserver does.
        await using var server = await KubernetesTestServer.StartAsync();
        var apply = await Kubectl(server)(["apply", "-k", directory]);
        Assert.True(apply.ExitCode == 0, apply.ToString());
    }

    [Fact]
    public async Task HostPath_component_puts_the_cache_directory_on_the_node_and_relaxes_only_the_namespace_levels_it_must()
    {
        var documents = Parse(await RenderedHostPath.Value);
        var cache = (YamlMappingNode)At(Workload(documents, "DaemonSet", "wasme-cache"), "spec", "template", "spec")!;
        var volume = ((YamlSequenceNode)cache["volumes"]).Cast<YamlMappingNode>().Single(v => v["name"].ToString() == "cache-directory");
        var labels = (YamlMappingNode)At(Workload(documents, "Namespace", "wasme"), "metadata", "labels")!;

        Assert.Equal("/var/local/lib/wasme-cache", At(volume, "hostPath", "path")?.ToString());
        Assert.Null(At(volume, "emptyDir"));
        // The chown init container runs the same image as the cache, whatever an overlay renames it to.
        var initImage = At((YamlMappingNode)((YamlSequenceNode)cache["initContainers"])[0], "image")?.ToString();
        Assert.Equal(At((YamlMappingNode)((YamlSequenceNode)cache["containers"])[0], "image")?.ToString(), initImage);
        Assert.Equal("privileged", labels["pod-security.kubernetes.io/enforce"].ToString());
        Assert.Equal("privileged", labels["pod-security.kubernetes.io/warn"].ToString());
        Assert.Equal("restricted", labels["pod-security.kubernetes.io/audit"].ToString());
        Assert.Equal(
            At(Workload(await DocumentsAsync(), "Deployment", "wasme-operator"), "spec")!.ToString(),
            At(Workload(documents, "Deployment", "wasme-operator"), "spec")!.ToString());
    }

    [Fact]
    public async Task Kubectl_apply_k_deploy_gives_no_warnings_and_every_pod_meets_the_restricted_level()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var kubectl = Kubectl(server);

        var apply = await kubectl(["apply", "-k", "deploy"]);

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.DoesNotContain("Warning:", apply.Error, StringComparison.Ordinal);
        var daemonSet = await kubectl(["get", "daemonset", "wasme-cache", "-n", "wasme", "-o", "json"]);
        Assert.True(daemonSet.ExitCode == 0, daemonSet.ToString());
        Assert.Equal("wasme-cache", JsonNode.Parse(daemonSet.Output)!["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());
        var role = await kubectl(["get", "clusterrole", "wasme-operator", "-o", "json"]);
        Assert.True(role.ExitCode == 0, role.ToString());
        Assert.DoesNotContain("\"*\"", role.Output, StringComparison.Ordinal);
        var budget = await kubectl(["get", "pdb", "wasme-operator", "-n", "wasme", "-o", "jsonpath={.spec.maxUnavailable}"]);
        Assert.True(budget.ExitCode == 0, budget.ToString());
        Assert.Equal("1", budget.Output);
        // The CRD is served: the API accepts a FilterDeployment, as the cache and operator will read it.
        var crd = await kubectl(["get", "crd", "filterdeployments.wasme.io", "-o", "name"]);
        Assert.True(crd.ExitCode == 0, crd.ToString());
        var records = await kubectl(["get", "cachenoderecords", "-n", "wasme"]);
        Assert.True(records.ExitCode == 0, records.ToString());

        // The pods the DaemonSet and Deployment controllers would create are admitted, without a warning.
        var documents = await DocumentsAsync();
        foreach (var (kind, name) in new[] { ("Deployment", "wasme-operator"), ("DaemonSet", "wasme-cache") })
        {
            var pod = await CreatePodAsync(kubectl, Workload(documents, kind, name), $"{name}-pod");
            Assert.True(pod.ExitCode == 0, pod.ToString());
            Assert.DoesNotContain("Warning:", pod.Error, StringComparison.Ordinal);
        }

        // A HostPath cache pod is not: that is why HostPath delivery comes with its own namespace levels.
        var hostPathPod = await CreatePodAsync(kubectl, Workload(Parse(await RenderedHostPath.Value), "DaemonSet", "wasme-cache"), "wasme-cache-hostpath");
        Assert.NotEqual(0, hostPathPod.ExitCode);
        Assert.Contains(
            "pods \"wasme-cache-hostpath\" is forbidden: violates PodSecurity \"restricted:latest\": "
            + "unrestricted capabilities (container \"own-cache-directory\" must not include \"CHOWN\" in securityContext.capabilities.add), "
            + "restricted volume types (volume \"cache-directory\" uses restricted volume type \"hostPath\"), "
            + "runAsNonRoot != true (container \"own-cache-directory\" must not set securityContext.runAsNonRoot=false), "
            + "runAsUser=0 (container \"own-cache-directory\" must not set runAsUser=0)",
            hostPathPod.Error);
    }

    [Fact]
    public async Task Kubectl_apply_k_with_the_hostpath_component_gives_no_warnings_and_its_cache_pods_are_admitted()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var kubectl = Kubectl(server);

        var apply = await kubectl(["apply", "-k", HostPathOverlay.Value]);

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.DoesNotContain("Warning:", apply.Error, StringComparison.Ordinal);
        var served = await kubectl(["get", "daemonset", "wasme-cache", "-n", "wasme", "-o", "jsonpath={.spec.template.spec.volumes[0].hostPath.path}"]);
        Assert.Equal("/var/local/lib/wasme-cache", served.Output);
        var documents = Parse(await RenderedHostPath.Value);
        foreach (var (kind, name) in new[] { ("Deployment", "wasme-operator"), ("DaemonSet", "wasme-cache") })
        {
            var pod = await CreatePodAsync(kubectl, Workload(documents, kind, name), $"{name}-pod");
            Assert.True(pod.ExitCode == 0, pod.ToString());
            Assert.DoesNotContain("Warning:", pod.Error, StringComparison.Ordinal);
        }
    }

    /// <summary>kubectl against one test server, with its own discovery cache.</summary>
    [Fact]
    public async Task Kubectl_apply_k_deploy_again_writes_nothing_and_reports_only_the_budget_configured()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var kubectl = Kubectl(server);
        var first = await kubectl(["apply", "-k", "deploy"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var revision = server.ResourceVersion;

        var second = await kubectl(["apply", "-k", "deploy"]);

        Assert.True(second.ExitCode == 0, second.ToString());
        // No object changed: the server stored nothing, so no controller or watcher sees a write.
        Assert.Equal(revision, server.ResourceVersion);
        // kubectl prints "unchanged" only for an empty patch, and the PodDisruptionBudget's selector is replaced whole
        // (patchStrategy "replace" in policy/v1), so kubectl always sends it and says "configured", as on any cluster.
        var lines = second.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((await DocumentsAsync()).Count, lines.Length);
        Assert.All(lines.Where(l => !l.StartsWith("poddisruptionbudget.policy/", StringComparison.Ordinal)), l => Assert.EndsWith(" unchanged", l, StringComparison.Ordinal));
        Assert.Contains("poddisruptionbudget.policy/wasme-operator configured", lines);
    }

    [Fact]
    public async Task Uninstalling_in_the_wrong_order_leaves_the_crd_terminating_until_the_finalizer_is_released_as_install_md_says()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var kubectl = Kubectl(server);
        Assert.Equal(0, (await kubectl(["apply", "-k", "deploy"])).ExitCode);
        // A FilterDeployment the operator has taken charge of (its finalizer), as no operator runs here.
        server.ApplyYaml("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: header, namespace: default, finalizers: [wasme.io/cleanup]}
            spec:
              deployment: {istio: {labels: {app: details}}}
              filter: {image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """);

        // The namespace controller here empties namespace wasme at once, so kubectl's own deletes of its contents may find
        // them gone (a race a real cluster has too, only slower): not what this test is about.
        var delete = await kubectl(["delete", "-k", "deploy", "--wait=false", "--ignore-not-found"]);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        await server.SettleGarbageCollectionAsync();

        var crd = await kubectl(["get", "crd", "filterdeployments.wasme.io", "-o", "jsonpath={.status.conditions[?(@.type==\"Terminating\")].reason}"]);
        Assert.Equal("InstanceDeletionInProgress", crd.Output);
        var late = Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, "late.yaml");
        await File.WriteAllTextAsync(late, """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: late, namespace: default}
            spec:
              deployment: {istio: {labels: {app: details}}}
              filter: {image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """);
        var created = await kubectl(["create", "-f", late]);
        Assert.Contains("create not allowed while custom resource definition is terminating", created.Error, StringComparison.Ordinal);

        // The way out install.md gives: install again (the operator would finalize), then the CRD goes with the last one.
        var again = await kubectl(["apply", "-k", "deploy"]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, (await kubectl(["patch", "filterdeployment", "header", "-n", "default", "--type", "merge", "-p", """{"metadata":{"finalizers":null}}"""])).ExitCode);
        await server.SettleGarbageCollectionAsync();

        var gone = await kubectl(["get", "crd", "filterdeployments.wasme.io"]);
        Assert.Contains("NotFound", gone.Error, StringComparison.Ordinal);
    }

    private static Func<string[], Task<ProcessResult>> Kubectl(KubernetesTestServer server)
    {
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = server.KubeconfigPath };
        var cache = Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, "kubectl-cache");
        return args => ExternalProcess.RunAsync("kubectl", ["--cache-dir", cache, .. args], env);
    }

    /// <summary>Creates, in namespace wasme, the pod a workload's controller would create from its template.</summary>
    private static async Task<ProcessResult> CreatePodAsync(Func<string[], Task<ProcessResult>> kubectl, YamlMappingNode workload, string podName)
    {
        var template = (YamlMappingNode)At(workload, "spec", "template")!;
        var pod = new YamlMappingNode(
            new YamlScalarNode("apiVersion"), new YamlScalarNode("v1"),
            new YamlScalarNode("kind"), new YamlScalarNode("Pod"),
            new YamlScalarNode("metadata"), new YamlMappingNode(
                new YamlScalarNode("name"), new YamlScalarNode(podName),
                new YamlScalarNode("namespace"), new YamlScalarNode("wasme"),
                new YamlScalarNode("labels"), At(template, "metadata", "labels")!),
            new YamlScalarNode("spec"), template["spec"]);
        var file = Path.Combine(Path.GetTempPath(), $"wasme-pod-{Guid.NewGuid():N}.yaml");
        await using (var writer = new StreamWriter(file))
        {
            new YamlStream(new YamlDocument(pod)).Save(writer, assignAnchors: false);
        }

        try
        {
            return await kubectl(["create", "-f", file]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
