using Wasme.Cache.Kubernetes;
using Wasme.Cache.Tests.Support;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Nodes;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cache.Tests.Kubernetes;

/// <summary>The cache's node record: created on the first write, patched after, and a missing CRD named with its fix.</summary>
public sealed class NodeRecordWriterTests
{
    private static readonly string First = new('1', 64);
    private static readonly string Second = new('2', 64);

    [Fact]
    public async Task The_first_write_creates_the_record_and_later_ones_replace_its_modules()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(ExternalProcess.RepositoryRoot, "deploy/crds/cachenoderecords.wasme.io.yaml")));
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        using var client = server.CreateClient();
        var records = new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type);
        var writer = new NodeRecordWriter(records, "wasme", "node-a");

        await writer.WriteAsync([Second, First], CancellationToken.None);
        Assert.Equal([First, Second], (await records.GetAsync("wasme", "node-a", CancellationToken.None))!.Spec.Modules);

        await writer.WriteAsync([Second], CancellationToken.None);
        Assert.Equal([Second], (await records.GetAsync("wasme", "node-a", CancellationToken.None))!.Spec.Modules);
        await writer.WriteAsync([], CancellationToken.None);
        Assert.Empty((await records.GetAsync("wasme", "node-a", CancellationToken.None))!.Spec.Modules!);
    }

    [Fact]
    public async Task Without_the_crd_the_failure_says_what_to_install()
    {
        // The cache's image upgraded without the release's deploy/ (the CRD): a 404 alone would not say why.
        await using var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        using var client = server.CreateClient();
        var writer = new NodeRecordWriter(new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type), "wasme", "node-a");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync([First], CancellationToken.None));

        Assert.StartsWith("cannot write this node's record (CacheNodeRecord wasme/node-a): the Kubernetes API server answered 404", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("Install the CacheNodeRecord CRD and the namespace with the release's deploy/ (kubectl apply -k deploy/).", failure.Message, StringComparison.Ordinal);
    }
}
