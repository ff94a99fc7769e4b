using k8s;
using k8s.Models;
using System.Text.Json.Nodes;
using Wasme.Cli.Tests.Support;
using Wasme.Istio.Yaml;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Istio;

/// <summary>
/// The seed's two commands, and undeploy, against the in-process Kubernetes API server, through a kubeconfig. No operator
/// runs here (--wait 0): what deploy writes is the FilterDeployment; the operator's and cache's part is proven end to end
/// in tests/Wasme.E2E.Tests (ImperativeDeployEndToEndTests).
/// </summary>
public sealed class DeployIstioCommandTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private readonly CliRunner _cli = IstioCli.Create();

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        await _server.InstallIstioCrdsAsync();
        _server.ApplyYaml(File.ReadAllText(Path.Combine(IstioCli.Root, "deploy", "crds", "filterdeployments.wasme.io.yaml")));
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

    private JsonObject? FilterDeployment(string name) => _server.Get("wasme.io/v1", "FilterDeployment", "bookinfo", name);

    private JsonObject? EnvoyFilter(string name) => _server.Get("networking.istio.io/v1alpha3", "EnvoyFilter", "bookinfo", name);

    private JsonNode? PodAnnotations(string deployment) =>
        _server.Get("apps/v1", "Deployment", "bookinfo", deployment)!["spec"]!["template"]!["metadata"]!["annotations"];

    private Task<int> Wasme(params string[] args) => _cli.RunAsync([.. args, "--kubeconfig", _server.KubeconfigPath]);

    [Fact]
    public async Task The_seed_command_with_labels_writes_a_FilterDeployment_the_operator_and_cache_serve()
    {
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "tomorrow", "--labels", "app=details", "--delivery", "hostpath", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("Istio 1.5", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("FilterDeployment bookinfo/myfilter created", _cli.Out.Output, StringComparison.Ordinal);
        var created = FilterDeployment("myfilter")!;
        Assert.Equal("wasme-deploy-istio", (string?)created["metadata"]!["annotations"]!["wasme.io/deployed-by"]);
        var filter = created["spec"]!["filter"]!;
        Assert.Equal("webassemblyhub.io/ceposta/demo-add-header:v0.2", (string?)filter["image"]);
        Assert.Equal("myfilter", (string?)filter["id"]);
        Assert.Equal("tomorrow", (string?)filter["config"]);
        var istio = created["spec"]!["deployment"]!["istio"]!;
        Assert.Equal("details", (string?)istio["labels"]!["app"]);
        Assert.Equal("HostPath", (string?)istio["delivery"]);
        // The EnvoyFilters and annotations are the operator's to write (owned by the FilterDeployment), not the CLI's.
        Assert.Null(EnvoyFilter("details-v1-myfilter"));
        Assert.Null(PodAnnotations("details-v1"));
    }

    [Fact]
    public async Task Deploying_again_updates_the_FilterDeployment_it_made()
    {
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "tomorrow", "--wait", "0", .. IstioCli.SeedFacts]));

        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "today", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("FilterDeployment bookinfo/myfilter configured", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal("today", (string?)FilterDeployment("myfilter")!["spec"]!["filter"]!["config"]);
    }

    [Fact]
    public async Task Deploying_again_keeps_the_operator_finalizer_and_metadata_others_added()
    {
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "tomorrow", "--wait", "0", .. IstioCli.SeedFacts]));
        // What the operator adds on its first pass, and a label a user or policy tool adds.
        using (var client = _server.CreateClient())
        {
            var patch = """{"metadata":{"finalizers":["wasme.io/cleanup"],"labels":{"team":"edge"}}}""";
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(new k8s.Models.V1Patch(patch, k8s.Models.V1Patch.PatchType.MergePatch), "wasme.io", "v1", "bookinfo", "filterdeployments", "myfilter");
        }

        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.3", "--id=myfilter", "--namespace=bookinfo", "--config", "today", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        var metadata = FilterDeployment("myfilter")!["metadata"]!;
        // Without the finalizer, an undeploy right now would skip the operator's clean-up of pod-template annotations.
        Assert.Equal(["wasme.io/cleanup"], (metadata["finalizers"] as JsonArray ?? []).Select(f => (string?)f));
        Assert.Equal("edge", (string?)metadata["labels"]!["team"]);
        Assert.Equal("wasme-deploy-istio", (string?)metadata["annotations"]!["wasme.io/deployed-by"]);
        Assert.Equal("webassemblyhub.io/ceposta/demo-add-header:v0.3", (string?)FilterDeployment("myfilter")!["spec"]!["filter"]!["image"]);
    }

    [Fact]
    public async Task Deploying_while_an_undeploy_is_still_cleaning_up_is_refused_instead_of_lost()
    {
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "0", .. IstioCli.SeedFacts]));
        using (var client = _server.CreateClient())
        {
            // The operator's finalizer keeps the object while it removes what it made.
            var patch = """{"metadata":{"finalizers":["wasme.io/cleanup"]}}""";
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(new k8s.Models.V1Patch(patch, k8s.Models.V1Patch.PatchType.MergePatch), "wasme.io", "v1", "bookinfo", "filterdeployments", "myfilter");
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync("wasme.io", "v1", "bookinfo", "filterdeployments", "myfilter");
        }

        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.3", "--id=myfilter", "--namespace=bookinfo", "--wait", "0", .. IstioCli.SeedFacts]);

        // Written into a FilterDeployment about to vanish, the new image would be gone with it and nothing would say so.
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("FilterDeployment bookinfo/myfilter is being deleted", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("wasme undeploy istio --id myfilter -n bookinfo", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal("webassemblyhub.io/ceposta/demo-add-header:v0.2", (string?)FilterDeployment("myfilter")!["spec"]!["filter"]!["image"]);
    }

    [Theory]
    [InlineData("namespace", "namespace bookinfo is being deleted")]
    [InlineData("crd", "the FilterDeployment CRD is being deleted (wasme is being uninstalled)")]
    public async Task Deploy_while_the_namespace_or_the_crd_is_being_deleted_says_so_rather_than_blaming_permissions(string deleting, string expected)
    {
        // Both refusals are 403s, but no permission would help: something is being deleted.
        _server.ApplyYaml("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: held, namespace: bookinfo, finalizers: [example.com/hold]}
            ---
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: held, namespace: bookinfo, finalizers: [wasme.io/cleanup]}
            spec:
              deployment: {istio: {labels: {app: reviews}}}
              filter: {image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """);
        using var client = _server.CreateClient();
        if (deleting == "namespace")
        {
            await client.CoreV1.DeleteNamespaceAsync("bookinfo");
        }
        else
        {
            await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("filterdeployments.wasme.io");
        }

        await _server.SettleGarbageCollectionAsync();

        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(expected, _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("kubeconfig user may do this", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_operator_deploy_says_so_when_its_wait_runs_out()
    {
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "1s", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("the wasme operator has not reported on it yet; is it running?", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("wasme undeploy istio --id myfilter", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task A_selector_no_workload_matches_is_not_reported_ready(string output)
    {
        // The operator's answer for labels nothing carries (a typo, or workloads not rolled out yet). Before, deploy printed
        // "Ready: …; the module is cached on every node" (json: ready true) though nothing was applied and no cache asked.
        var deploy = Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=detials", "--wait", "30s", "-o", output, .. IstioCli.SeedFacts]);
        await ReportAsOperatorAsync("myfilter", "NoMatchingWorkloads", "no workload matches the selector");

        var code = await deploy;

        Assert.True(code == 0, _cli.Error.Output);
        if (output == "json")
        {
            var result = JsonNode.Parse(_cli.Out.Output)!;
            Assert.False((bool)result["ready"]!);
            Assert.Empty(result["resources"]!.AsArray());
            Assert.Contains("applied to no workload yet: no workload matches the selector", (string?)result["message"], StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("Not ready: applied to no workload yet: no workload matches the selector; the operator applies it to matching workloads as they appear", _cli.Out.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Ready:", _cli.Out.Output.Replace("Not ready:", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Wait_names_the_nodes_whose_cache_record_lacks_the_module_and_an_install_without_records()
    {
        const string Module = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";

        // An install from before CacheNodeRecords: the operator reports Ready, but no node can say it holds the module.
        var deploy = Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "2s", .. IstioCli.SeedFacts]);
        await ReportAsOperatorAsync("myfilter", "Applied", "applied", ready: "True", moduleSha256: Module);
        Assert.Equal(ExitCodes.Failure, await deploy);
        Assert.Contains("the cluster does not serve CacheNodeRecords (wasme.io/v1), where the wasme caches report what they hold: install this release's deploy/",
            _cli.Error.Output, StringComparison.Ordinal);

        // With the records: a node whose cache does not list the module yet is named, and the wait ends once it does.
        _server.ApplyYaml(File.ReadAllText(Path.Combine(IstioCli.Root, "deploy", "crds", "cachenoderecords.wasme.io.yaml")));
        _server.ApplyYaml($$"""
            apiVersion: v1
            kind: Namespace
            metadata: {name: wasme}
            ---
            apiVersion: wasme.io/v1
            kind: CacheNodeRecord
            metadata: {name: worker-1, namespace: wasme}
            spec: {modules: [{{Module}}]}
            ---
            apiVersion: wasme.io/v1
            kind: CacheNodeRecord
            metadata: {name: worker-2, namespace: wasme}
            spec: {modules: []}
            """);
        Assert.Equal(ExitCodes.Failure, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "1s", .. IstioCli.SeedFacts]));
        Assert.Contains($"the module sha256:{Module} is not yet cached on worker-2", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("worker-1", _cli.Error.Output, StringComparison.Ordinal);

        _server.ApplyYaml($"apiVersion: wasme.io/v1\nkind: CacheNodeRecord\nmetadata: {{name: worker-2, namespace: wasme}}\nspec: {{modules: [{Module}]}}\n");
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "10s", .. IstioCli.SeedFacts]);
        Assert.True(code == 0, _cli.Error.Output);
    }

    // What the operator writes: the Ready condition with a reason (False unless said), for the current generation.
    private async Task ReportAsOperatorAsync(string name, string reason, string message, string ready = "False", string? moduleSha256 = null)
    {
        using var client = _server.CreateClient();
        JsonObject? created;
        while ((created = FilterDeployment(name)) is null)
        {
            await Task.Delay(20);
        }

        var generation = (long)created["metadata"]!["generation"]!;
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["observedGeneration"] = generation,
                ["moduleSha256"] = moduleSha256,
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready", ["status"] = ready, ["reason"] = reason, ["message"] = message,
                    ["observedGeneration"] = generation, ["lastTransitionTime"] = "2026-01-01T00:00:00Z",
                }),
            },
        };
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), "wasme.io", "v1", "bookinfo", "filterdeployments", name);
    }

    [Fact]
    public async Task A_user_with_only_the_documented_namespace_rights_can_deploy_and_undeploy()
    {
        // docs/filterdeployment.md lists what deploy needs; a platform team grants exactly that in the team's namespace.
        // Before, deploy read the namespace (istio.io/rev) and listed istiod in istio-system, and a 403 there was fatal.
        _server.ApplyYaml("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: dev, namespace: bookinfo}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: wasme-deployer, namespace: bookinfo}
            rules:
            - apiGroups: [wasme.io]
              resources: [filterdeployments]
              verbs: [get, list, create, update, delete]
            - apiGroups: [networking.istio.io]
              resources: [envoyfilters]
              verbs: [get]
            - apiGroups: [extensions.istio.io]
              resources: [wasmplugins]
              verbs: [get]
            - apiGroups: [apps]
              resources: [deployments, daemonsets, statefulsets]
              verbs: [list]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: dev-deploys, namespace: bookinfo}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: wasme-deployer}
            subjects:
            - {kind: ServiceAccount, name: dev, namespace: bookinfo}
            """);
        using var scratch = new Authoring.TempDirectory();
        var kubeconfig = await _server.CreateServiceAccountKubeconfigAsync("bookinfo", "dev", Path.Combine(scratch.Path, "dev.kubeconfig"));

        var deploy = await _cli.RunAsync(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", "--wait", "0", .. IstioCli.SeedFacts, "--kubeconfig", kubeconfig]);
        var deployError = _cli.Error.Output;

        Assert.True(deploy == 0, deployError);
        Assert.Contains("cannot read the Istio release", deployError, StringComparison.Ordinal);
        Assert.Contains("pass --istio-version", deployError, StringComparison.Ordinal);
        Assert.NotNull(FilterDeployment("myfilter"));
        var undeploy = await _cli.RunAsync("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo", "--wait", "0", "--kubeconfig", kubeconfig);
        Assert.True(undeploy == 0, _cli.Error.Output);
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
    public async Task Undeploy_deletes_only_the_FilterDeployment_deploy_made()
    {
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--delivery", "hostpath", "--wait", "0", .. IstioCli.SeedFacts]));
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=other", "--namespace=bookinfo", "--labels", "app=productpage", "--delivery", "hostpath", "--wait", "0", .. IstioCli.SeedFacts]));

        var code = await Wasme("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo", "--wait", "10s");

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("FilterDeployment bookinfo/myfilter deleted", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Null(FilterDeployment("myfilter"));
        Assert.NotNull(FilterDeployment("other"));
    }

    [Fact]
    public async Task A_FilterDeployment_someone_else_wrote_is_neither_replaced_nor_undeployed()
    {
        _server.ApplyYaml("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: myfilter, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, labels: {app: details}}}
              filter: {image: "webassemblyhub.io/ceposta/demo-add-header:v0.1", config: git}
            """);

        var deploy = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--wait", "0", .. IstioCli.SeedFacts]);
        var deployError = _cli.Error.Output;
        var undeploy = await Wasme("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo");

        Assert.Equal(ExitCodes.Failure, deploy);
        Assert.Contains("FilterDeployment bookinfo/myfilter exists and was not made by 'wasme deploy istio'", deployError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, undeploy);
        Assert.Contains("was not made by 'wasme deploy istio'", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal("git", (string?)FilterDeployment("myfilter")!["spec"]!["filter"]!["config"]);
    }

    [Theory]
    [InlineData("client-side", "managed with kubectl apply (it carries kubectl.kubernetes.io/last-applied-configuration)")]
    [InlineData("server-side", "managed with server-side apply (field manager kubectl)")]
    public async Task A_FilterDeployment_taken_over_with_kubectl_apply_is_neither_overwritten_nor_undeployed(string mode, string how)
    {
        // Day 2: a quick 'wasme deploy', then the platform team commits the FilterDeployment to Git and applies it. Before,
        // the next 'wasme deploy' silently replaced the applied spec and 'wasme undeploy' deleted what Git declares.
        Assert.Equal(0, await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--config", "tomorrow", "--wait", "0", .. IstioCli.SeedFacts]));
        using var scratch = new Authoring.TempDirectory();
        var file = Path.Combine(scratch.Path, "myfilter.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: myfilter, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, labels: {app: details}}}
              filter: {id: myfilter, image: "webassemblyhub.io/ceposta/demo-add-header:v0.2", config: from-git}
            """);
        string[] apply = mode == "server-side" ? ["apply", "--server-side", "--force-conflicts", "-f", file] : ["apply", "-f", file];
        var (kubectl, output, error) = await ExternalTool.RunAsync("kubectl", [.. apply, "--kubeconfig", _server.KubeconfigPath, "--cache-dir", Path.Combine(scratch.Path, "kubectl-cache")]);
        Assert.True(kubectl == 0, error + output);

        var deploy = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.3", "--id=myfilter", "--namespace=bookinfo", "--config", "cli", "--wait", "0", .. IstioCli.SeedFacts]);
        var deployError = _cli.Error.Output;
        var undeploy = await Wasme("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo");

        Assert.Equal(ExitCodes.Failure, deploy);
        Assert.Contains($"FilterDeployment bookinfo/myfilter was made by 'wasme deploy istio' but is now {how}", deployError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, undeploy);
        Assert.Contains($"is now {how}; nothing was deleted", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("fix: remove it where it is applied from, or delete it with kubectl delete filterdeployment myfilter -n bookinfo", _cli.Error.Output, StringComparison.Ordinal);
        var kept = FilterDeployment("myfilter")!;
        Assert.Null(kept["metadata"]!["deletionTimestamp"]);
        Assert.Equal("from-git", (string?)kept["spec"]!["filter"]!["config"]);
        Assert.Equal("webassemblyhub.io/ceposta/demo-add-header:v0.2", (string?)kept["spec"]!["filter"]!["image"]);
    }

    [Fact]
    public async Task Undeploying_from_a_namespace_that_does_not_exist_is_not_found_not_success()
    {
        // A typo in -n used to print "nothing found" and exit 0, so a script took it for a removed filter.
        var code = await Wasme("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo-typo", "--wait", "0");

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Contains("namespace \"bookinfo-typo\" does not exist", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("kubectl get namespaces", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undeploying_a_filter_that_is_not_there_is_idempotent()
    {
        var code = await Wasme("undeploy", "istio", "--id", "never-deployed", "--namespace", "bookinfo", "--wait", "0");

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("nothing of filter 'never-deployed' found", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploying_to_a_namespace_that_does_not_exist_says_so_in_words_not_json()
    {
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo-typo", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Contains("error: the Kubernetes API answered 404 (NotFound): namespaces \"bookinfo-typo\" not found", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("fix: check the namespace and names", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\"kind\":\"Status\"", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_id_a_FilterDeployment_owns_is_refused_naming_the_owner_and_its_EnvoyFilter_is_untouched()
    {
        // Issue 14.3: deploy used to replace the operator's EnvoyFilter, stripping its owner reference and labels.
        _server.ApplyYaml("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: bookinfo-custom-filter, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, labels: {app: details}}}
              filter: {id: myfilter, image: "webassemblyhub.io/ceposta/demo-add-header:v0.2", config: world}
            """);
        var owner = _server.Get("wasme.io/v1", "FilterDeployment", "bookinfo", "bookinfo-custom-filter")!;
        _server.Apply(JsonNode.Parse($$$"""
            {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
             "metadata": {"name": "details-v1-myfilter", "namespace": "bookinfo",
               "labels": {"app.kubernetes.io/managed-by": "wasme", "wasme.io/filter-deployment": "bookinfo-custom-filter", "wasme.io/filter-id": "myfilter"},
               "ownerReferences": [{"apiVersion": "wasme.io/v1", "kind": "FilterDeployment", "name": "bookinfo-custom-filter", "uid": "{{{owner["metadata"]!["uid"]}}}", "controller": true}]},
             "spec": {"configPatches": []}}
            """)!.AsObject());
        var before = EnvoyFilter("details-v1-myfilter")!.ToJsonString();

        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.3", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("filter id 'myfilter' belongs to FilterDeployment bookinfo/bookinfo-custom-filter", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(before, EnvoyFilter("details-v1-myfilter")!.ToJsonString());
        Assert.Null(FilterDeployment("myfilter"));
    }

    [Fact]
    public async Task Undeploy_of_an_id_a_FilterDeployment_holds_is_refused_and_leaves_its_annotations_alone()
    {
        _server.ApplyYaml("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: bookinfo-custom-filter, namespace: bookinfo}
            spec:
              deployment: {istio: {kind: Deployment, labels: {app: details}, delivery: HostPath}}
              filter: {id: myfilter, image: "webassemblyhub.io/ceposta/demo-add-header:v0.2", config: world}
            """);
        // What the operator wrote for it on details-v1: the cache volume its EnvoyFilter's module path needs.
        using (var client = _server.CreateClient())
        {
            var annotations = new JsonObject
            {
                ["wasme.io/hostpath-filters"] = "myfilter",
                ["sidecar.istio.io/userVolume"] = """[{"name":"wasme-cache","hostPath":{"path":"/var/local/lib/wasme-cache"}}]""",
                ["sidecar.istio.io/userVolumeMount"] = """[{"name":"wasme-cache","mountPath":"/var/local/lib/wasme-cache","readOnly":true}]""",
            };
            var patch = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } } } };
            await client.AppsV1.PatchNamespacedDeploymentAsync(new k8s.Models.V1Patch(patch.ToJsonString(), k8s.Models.V1Patch.PatchType.MergePatch), "details-v1", "bookinfo");
        }

        var before = PodAnnotations("details-v1")!.ToJsonString();

        var code = await Wasme("undeploy", "istio", "--id", "myfilter", "--namespace", "bookinfo", "--labels", "app=details");

        // Taking the volume away under the operator's EnvoyFilter breaks the filter on every new pod until it puts it back.
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("filter id 'myfilter' belongs to FilterDeployment bookinfo/bookinfo-custom-filter", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("kubectl delete filterdeployment bookinfo-custom-filter -n bookinfo", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(before, PodAnnotations("details-v1")!.ToJsonString());
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
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", "--delivery", "wasmplugin", "--dry-run", "-o", "yaml", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains("Istio 1.12 (from istio-system/istiod-1-12", _cli.Error.Output, StringComparison.Ordinal);
        var plugin = Assert.Single(YamlJson.ReadDocuments(_cli.Out.Output), d => (string?)d["kind"] == "WasmPlugin");
        Assert.Equal(
            "oci://webassemblyhub.io/ceposta/demo-add-header@sha256:8a3b2f1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
            plugin["spec"]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_object_config_reaches_a_WasmPlugin_as_its_pluginConfig()
    {
        // WasmPlugin delivery needs an object config; --config is text, so the CLI refused every config there.
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details",
            "--delivery", "wasmplugin", "--istio-version", "1.24", "--config", """{"greeting": "hi", "count": 2}""", "--dry-run", "-o", "yaml", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, _cli.Error.Output);
        var plugin = Assert.Single(YamlJson.ReadDocuments(_cli.Out.Output), d => (string?)d["kind"] == "WasmPlugin");
        Assert.Equal("""{"greeting":"hi","count":2}""", plugin["spec"]!["pluginConfig"]!.ToJsonString());

        // Text that is not a JSON object still cannot reach a WasmPlugin: the message says what --config must hold.
        code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details",
            "--delivery", "wasmplugin", "--istio-version", "1.24", "--config", "world", "--dry-run", .. IstioCli.SeedFacts]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--config", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("JSON object", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wasme-cache.wasme.svc.cluster.local:0")]
    [InlineData("wasme-cache.wasme.svc.cluster.local:65536")]
    [InlineData("wasme-cache.wasme.svc.cluster.local:-1")]
    public async Task A_cache_service_port_Envoy_cannot_connect_to_is_refused_before_anything_is_printed(string cacheService)
    {
        // The dry run printed port_value 65536 (Envoy refuses the cluster) or -1 (istiod refuses the EnvoyFilter).
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details",
            "--cache-service", cacheService, "--dry-run", "-o", "yaml", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains($"--cache-service '{cacheService}' must be host:port", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.Out.Output);
    }

    [Fact]
    public async Task An_id_that_is_not_a_DNS_subdomain_is_refused_before_anything_is_written()
    {
        // The API server refuses a FilterDeployment named "my..filter"; the id is checked first, with the fix.
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=my..filter", "--namespace=bookinfo", "--labels", "app=details", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("spec.filter.id", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Null(FilterDeployment("my..filter"));
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
        var code = await Wasme(["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", "--wait", "0", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("was not made by wasme", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Empty(EnvoyFilter("details-v1-myfilter")!["spec"]!["configPatches"]!.AsArray());
        Assert.Null(FilterDeployment("myfilter"));
    }
}
