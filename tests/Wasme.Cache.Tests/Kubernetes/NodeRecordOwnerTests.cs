using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Cache.Kubernetes;
using Wasme.Cache.Tests.Support;
using Wasme.Kubernetes.Clients;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cache.Tests.Kubernetes;

/// <summary>
/// Day 2, nodes leave: a node's CacheNodeRecord is owned by its Node, so the API server's garbage collector deletes it
/// with the Node (as kube does for node-owned objects such as the kubelet's Lease). A record that outlived its node kept
/// <c>wasme deploy istio --wait</c> waiting for a node that no longer exists, and a node created again with that name
/// inherited its predecessor's modules before its own cache had fetched anything.
/// </summary>
public sealed class NodeRecordOwnerTests
{
    private static readonly string Module = new('1', 64);

    [Fact]
    public async Task Deleting_a_node_with_kubectl_deletes_its_cache_record()
    {
        await using var server = await StartAsync();
        server.ApplyYaml("apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: node-b\n");
        await PublishAsync(server, "node-a");
        await PublishAsync(server, "node-b");

        var deleted = await KubectlAsync(server, "delete", "node", "node-a");
        Assert.True(deleted.ExitCode == 0, deleted.Error);
        await server.SettleGarbageCollectionAsync();

        var records = await KubectlAsync(server, "get", "cachenoderecords", "-n", "wasme", "-o", "jsonpath={.items[*].metadata.name}");
        Assert.True(records.ExitCode == 0, records.Error);
        Assert.Equal("node-b", records.Output);
    }

    [Fact]
    public async Task A_node_created_again_with_the_same_name_does_not_inherit_the_old_nodes_record()
    {
        await using var server = await StartAsync();
        server.ApplyYaml("apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n");
        await PublishAsync(server, "node-a");

        // A cloud provider reuses the name (an instance with the same private IP): a new Node, a new uid, an empty disk.
        Assert.Equal(0, (await KubectlAsync(server, "delete", "node", "node-a")).ExitCode);
        server.ApplyYaml("apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n");
        await server.SettleGarbageCollectionAsync();

        Assert.Null(server.Get("wasme.io/v1", "CacheNodeRecord", "wasme", "node-a"));
    }

    [Fact]
    public async Task A_record_written_by_an_earlier_cache_is_adopted_by_its_node_at_the_next_write()
    {
        await using var server = await StartAsync();
        server.ApplyYaml("apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n");
        // What a cache before this release left: a record without an owner.
        server.ApplyYaml($"apiVersion: wasme.io/v1\nkind: CacheNodeRecord\nmetadata:\n  name: node-a\n  namespace: wasme\nspec:\n  modules: []\n");

        await PublishAsync(server, "node-a");

        var owner = server.Get("wasme.io/v1", "CacheNodeRecord", "wasme", "node-a")?["metadata"]?["ownerReferences"]?[0];
        Assert.Equal("v1/Node/node-a", $"{owner?["apiVersion"]}/{owner?["kind"]}/{owner?["name"]}");
        Assert.Equal(server.Get("v1", "Node", null, "node-a")?["metadata"]?["uid"]?.GetValue<string>(), owner?["uid"]?.GetValue<string>());
        Assert.Null(owner?["controller"]);
        Assert.Null(owner?["blockOwnerDeletion"]);
    }

    [Fact]
    public async Task A_node_the_cluster_does_not_know_still_gets_its_record()
    {
        // `wasme cache --kubeconfig ... --node-name "$(hostname)"` on a laptop: no Node of that name, nothing to own it.
        await using var server = await StartAsync();

        await PublishAsync(server, "laptop");

        var record = server.Get("wasme.io/v1", "CacheNodeRecord", "wasme", "laptop");
        Assert.Equal(Module, record?["spec"]?["modules"]?[0]?.GetValue<string>());
        Assert.Null(record?["metadata"]?["ownerReferences"]);
    }

    private static async Task<KubernetesTestServer> StartAsync()
    {
        var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(ExternalProcess.RepositoryRoot, "deploy/crds/cachenoderecords.wasme.io.yaml")));
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        return server;
    }

    // What the node's cache does when its held set changes, through the observer the daemon builds.
    private static async Task PublishAsync(KubernetesTestServer server, string node)
    {
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-cache", TimeProvider.System);
        var feed = new FilterDeploymentFeed(new KubernetesResourceClient<Wasme.Istio.Api.FilterDeployment>(client, ResourceType.FilterDeployment), null, TimeProvider.System, NullLoggerFactory.Instance);
        var events = new KubernetesEventRecorder(client, "wasme-cache", TimeProvider.System, NullLogger<KubernetesEventRecorder>.Instance);
        var observer = new KubernetesCacheObserver(client, events, feed, "wasme", node, NullLogger<KubernetesCacheObserver>.Instance);
        await observer.HeldModulesChangedAsync(new HashSet<ModuleDigest> { ModuleDigest.Parse(Module) }, CancellationToken.None);
    }

    private static async Task<ProcessResult> KubectlAsync(KubernetesTestServer server, params string[] arguments) =>
        await ExternalProcess.RunAsync("kubectl", [.. arguments, "--kubeconfig", server.KubeconfigPath, "--cache-dir", Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, "kubectl-cache")]);
}
