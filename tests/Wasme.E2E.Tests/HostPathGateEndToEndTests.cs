namespace Wasme.E2E.Tests;

/// <summary>
/// Issue #14 point 6 with the real cache: a HostPath FilterDeployment whose pod runs on a node without a cache waits,
/// says so in status, and points nothing at the module; once a real <c>wasme cache</c> starts for that node and reports
/// the module, the operator annotates the workload and, after the rollout, writes the EnvoyFilter.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class HostPathGateEndToEndTests(ClusterEnvironment cluster)
{
    // The HostPath flow's namespace: its owner granted wasme-workload-annotator there (RbacTests checks each grant is used).
    private const string Ns = "e2e-hostpath";

    [Fact]
    public async Task A_node_without_a_running_cache_holds_the_filter_back_until_its_cache_reports_the_module()
    {
        await HostPathNamespaceAsync(cluster);
        var manifests = cluster.Scratch($"{Ns}-ratings.yaml");
        await File.WriteAllTextAsync(manifests, $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: ratings-v1
              namespace: {{Ns}}
              labels: {app: ratings}
            spec:
              selector:
                matchLabels: {app: ratings}
              template:
                metadata:
                  labels: {app: ratings, version: v1}
                spec:
                  containers:
                  - name: ratings
                    image: docker.io/istio/examples-bookinfo-ratings-v1:1.16.2
            """);
        await cluster.KubectlAsync("apply", "-f", manifests);
        // What the ReplicaSet controller and the scheduler would do: a pod of the workload on node-2, where no cache runs.
        await RunPodAsync("ratings-v1-a");
        await File.WriteAllTextAsync(cluster.Scratch($"{Ns}-fd.yaml"), $$"""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata:
              name: ratings-filter
              namespace: {{Ns}}
            spec:
              deployment:
                istio:
                  kind: Deployment
                  delivery: HostPath
                  labels: {app: ratings}
              filter:
                config: 'gated'
                image: {{cluster.Image}}
            """);
        await cluster.KubectlAsync("apply", "-f", cluster.Scratch($"{Ns}-fd.yaml"));

        await WaitAsync("jsonpath={.status.conditions[?(@.type==\"ModuleDistributed\")].reason}=WaitingForNodes");
        var ready = await cluster.KubectlAsync("get", "filterdeployment", "ratings-filter", "-n", Ns, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].message}");
        Assert.StartsWith("False 0/1 nodes hold module sha256:", ready, StringComparison.Ordinal);
        Assert.Contains("waiting for node-2 (pods ratings-v1-a)", ready, StringComparison.Ordinal);
        // A plain `kubectl get` says why it is not ready, not only that it is not.
        var table = (await cluster.KubectlAsync("get", "filterdeployment", "ratings-filter", "-n", Ns)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("REASON", table[0], StringComparison.Ordinal);
        Assert.Matches(@"^ratings-filter\s.*\sFalse\s+WaitingForNodes\s", table[1]);
        Assert.Equal("", (await cluster.KubectlAsync("get", "envoyfilters", "-n", Ns, "-l", "wasme.io/filter-deployment=ratings-filter", "-o", "name")).Trim());
        Assert.DoesNotContain("userVolume", await cluster.KubectlAsync("get", "deployment", "ratings-v1", "-n", Ns, "-o", "jsonpath={.spec.template.metadata.annotations}"), StringComparison.Ordinal);

        // node-2's cache starts: the real daemon, as the cache ServiceAccount, reports what it fetched.
        await using var cache = cluster.Track(WasmeProcess.Start("wasme cache (node-2)", cluster.Environment,
            "cache", "--kubeconfig", cluster.CacheKubeconfig, "--namespace", "wasme", "--node-name", "node-2",
            "--directory", cluster.Scratch("node-2-cache"), "--listen", "http://127.0.0.1:0"));
        await WaitAsync("jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}=WaitingForRollout");
        Assert.Equal("1/1", await cluster.KubectlAsync("get", "filterdeployment", "ratings-filter", "-n", Ns, "-o", "jsonpath={.status.nodesReady}"));
        Assert.Contains("userVolume", await cluster.KubectlAsync("get", "deployment", "ratings-v1", "-n", Ns, "-o", "jsonpath={.spec.template.metadata.annotations}"), StringComparison.Ordinal);
        Assert.Equal("", (await cluster.KubectlAsync("get", "envoyfilters", "-n", Ns, "-l", "wasme.io/filter-deployment=ratings-filter", "-o", "name")).Trim());

        // The rollout: a pod from the new template (it mounts the cache) replaces the old one.
        await cluster.KubectlAsync("delete", "pod", "ratings-v1-a", "-n", Ns, "--wait=false");
        await RunPodAsync("ratings-v1-b");
        await WaitAsync("condition=Ready");
        var filter = await cluster.KubectlAsync("get", "envoyfilter", $"ratings-v1-ratings-filter.{Ns}", "-n", Ns, "-o", "yaml");
        var sha = await cluster.KubectlAsync("get", "filterdeployment", "ratings-filter", "-n", Ns, "-o", "jsonpath={.status.moduleSha256}");
        Assert.Contains($"/var/local/lib/wasme-cache/{sha}", filter, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(cluster.Scratch("node-2-cache"), sha)), "node-2's cache holds the file the EnvoyFilter names");

        await cluster.KubectlAsync("delete", "filterdeployment", "ratings-filter", "-n", Ns, "--wait=true", "--timeout=60s");
    }

    [Fact]
    public Task HostPath_on_a_DaemonSet_and_a_StatefulSet_goes_Ready_with_the_cache_volume() =>
        cluster.Deliveries.RunAsync("HostPathKinds", () => DeliverToKindsAsync(cluster));

    /// <summary>
    /// The step that stalled in the last session's setup (a HostPath FilterDeployment on a DaemonSet, the real operator
    /// with its ServiceAccount token and --leader-elect, a StatefulSet one queued behind it): both must go Ready.
    /// </summary>
    internal static async Task DeliverToKindsAsync(ClusterEnvironment cluster)
    {
        const string ns = Ns;
        await HostPathNamespaceAsync(cluster);
        var manifests = cluster.Scratch($"{ns}-kinds.yaml");
        await File.WriteAllTextAsync(manifests, $$"""
            {{Kind("DaemonSet", "node-agent", ns, cluster.Image)}}
            {{Kind("StatefulSet", "ledger", ns, cluster.Image)}}
            """);
        await cluster.KubectlAsync("apply", "-f", manifests);
        foreach (var name in new[] { "node-agent", "ledger" })
        {
            await cluster.KubectlAsync("wait", "--for=condition=Ready", $"filterdeployment/{name}-filter", "-n", ns, "--timeout=60s");
        }

        foreach (var (kind, name) in new[] { ("daemonset", "node-agent"), ("statefulset", "ledger") })
        {
            Assert.Contains("wasme-cache", await cluster.KubectlAsync("get", kind, name, "-n", ns, "-o", "jsonpath={.spec.template.metadata.annotations}"), StringComparison.Ordinal);
            Assert.Equal($"envoyfilter.networking.istio.io/{name}-{name}-filter.{ns}", (await cluster.KubectlAsync("get", "envoyfilters", "-n", ns, "-l", $"wasme.io/filter-deployment={name}-filter", "-o", "name")).Trim());
        }
    }

    private static string Kind(string kind, string name, string ns, string image) => $$"""
        ---
        apiVersion: apps/v1
        kind: {{kind}}
        metadata:
          name: {{name}}
          namespace: {{ns}}
          labels: {app: {{name}}}
        spec:
          {{(kind == "StatefulSet" ? $"serviceName: {name}" : "")}}
          selector:
            matchLabels: {app: {{name}}}
          template:
            metadata:
              labels: {app: {{name}}}
            spec:
              containers:
              - name: {{name}}
                image: docker.io/istio/examples-bookinfo-details-v1:1.16.2
        ---
        apiVersion: wasme.io/v1
        kind: FilterDeployment
        metadata:
          name: {{name}}-filter
          namespace: {{ns}}
        spec:
          deployment:
            istio:
              kind: {{kind}}
              delivery: HostPath
              labels: {app: {{name}}}
          filter:
            config: '{{name}}'
            image: {{image}}
        """;

    // Every flow uses the one pushed image, and node-1's cache fetches a module once: the Remote flow must ask for it first,
    // so that its pull secret is read. The HostPath flow then creates the namespace and its owner's RoleBinding.
    private static async Task HostPathNamespaceAsync(ClusterEnvironment cluster)
    {
        await cluster.Deliveries.RunAsync("Remote", () => FilterDeploymentEndToEndTests.DeliverAsync(cluster, "Remote", "envoyfilters"));
        await cluster.Deliveries.RunAsync("HostPath", () => FilterDeploymentEndToEndTests.DeliverAsync(cluster, "HostPath", "envoyfilters"));
    }

    private Task<string> WaitAsync(string condition) =>
        cluster.KubectlAsync("wait", $"--for={condition}", "filterdeployment/ratings-filter", "-n", Ns, "--timeout=60s");

    // The pod the workload's controller would create from its current template, bound to node-2 by the scheduler.
    private async Task RunPodAsync(string name)
    {
        var template = await cluster.KubectlAsync("get", "deployment", "ratings-v1", "-n", Ns, "-o", "jsonpath={.spec.template}");
        var pod = System.Text.Json.Nodes.JsonNode.Parse(template)!.AsObject();
        pod["apiVersion"] = "v1";
        pod["kind"] = "Pod";
        pod["metadata"]!["name"] = name;
        pod["metadata"]!["namespace"] = Ns;
        pod["spec"]!["nodeName"] = "node-2";
        var file = cluster.Scratch($"{Ns}-{name}.json");
        await File.WriteAllTextAsync(file, pod.ToJsonString());
        await cluster.KubectlAsync("apply", "-f", file);
    }
}
