using k8s;
using Wasme.Kubernetes.Nodes;
using Wasme.Testing.Kubernetes;

namespace Wasme.Kubernetes.Tests.Nodes;

/// <summary>The per-node record the cache writes and the operator and <c>wasme deploy istio</c> read, through a real API round trip.</summary>
public sealed class NodeReadinessTests
{
    private const string First = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";
    private const string Second = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task The_written_record_lists_held_modules_sorted_and_is_found_by_its_selector()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        using var client = server.CreateClient();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");

        await client.CoreV1.CreateNamespacedConfigMapAsync(NodeReadiness.Build("wasme", "worker-1", [First, Second]), "wasme");

        var listed = Assert.Single((await client.CoreV1.ListNamespacedConfigMapAsync("wasme", labelSelector: NodeReadiness.Selector)).Items);
        Assert.Equal("wasme-cache-node-worker-1", listed.Metadata.Name);
        Assert.Equal($"{Second}\n{First}\n", listed.Data[NodeReadiness.ModulesKey]);
        Assert.Equal("worker-1", listed.Data[NodeReadiness.NodeKey]);
        Assert.Equal(new HashSet<string> { First, Second }, NodeReadiness.ReadModules(listed));
    }
}
