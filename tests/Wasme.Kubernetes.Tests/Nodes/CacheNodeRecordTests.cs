using k8s.Autorest;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Nodes;
using Wasme.Testing.Kubernetes;

namespace Wasme.Kubernetes.Tests.Nodes;

/// <summary>
/// The per-node record the cache writes and the operator and <c>wasme deploy istio</c> read: the C# type against the
/// shipped CRD (deploy/crds/cachenoderecords.wasme.io.yaml), through a real API round trip.
/// </summary>
public sealed class CacheNodeRecordTests
{
    private const string First = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";
    private const string Second = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static async Task<KubernetesTestServer> StartWithCrdAsync()
    {
        var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "crds", "cachenoderecords.wasme.io.yaml")));
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        return server;
    }

    [Fact]
    public async Task A_written_record_is_named_after_its_node_and_lists_held_modules_sorted()
    {
        await using var server = await StartWithCrdAsync();
        using var client = server.CreateClient();
        var records = new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type);

        await records.CreateAsync(CacheNodeRecord.For("wasme", "worker-1", [First, Second, First]), CancellationToken.None);

        var listed = Assert.Single((await records.ListAsync("wasme", null, CancellationToken.None)).Items);
        Assert.Equal("worker-1", listed.NodeName);
        Assert.Equal([Second, First], listed.Spec.Modules);
        Assert.Equal(new HashSet<string> { First, Second }, listed.HeldModules());
    }

    [Theory]
    [InlineData("44BF95B368E78FAFB663020B43CF099B23FC6032814653F2F47E4D20643E7267", "spec.modules[0]: Invalid value")]
    [InlineData("sha256:44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267", "spec.modules[0]: Too long")]
    public async Task The_crd_refuses_anything_but_lowercase_hex_sha256(string module, string expected)
    {
        await using var server = await StartWithCrdAsync();
        using var client = server.CreateClient();
        var records = new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => records.CreateAsync(CacheNodeRecord.For("wasme", "worker-1", [module]), CancellationToken.None));

        Assert.Equal(422, (int)refused.Response.StatusCode);
        Assert.Contains(expected, refused.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_crd_bounds_the_module_list()
    {
        await using var server = await StartWithCrdAsync();
        using var client = server.CreateClient();
        var records = new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type);
        var tooMany = Enumerable.Range(0, 8193).Select(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => records.CreateAsync(CacheNodeRecord.For("wasme", "worker-1", tooMany), CancellationToken.None));

        Assert.Contains("spec.modules: Too many: 8193: must have at most 8192 items", refused.Response.Content, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wasme.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found above the test binaries");
    }
}
