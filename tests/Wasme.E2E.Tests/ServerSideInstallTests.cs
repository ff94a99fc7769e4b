using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.E2E.Tests;

/// <summary>
/// The install as Flux and Argo CD run it: <c>kubectl apply --server-side -k deploy/</c>, against a server that keeps
/// field ownership. It must be accepted whole without warnings, be idempotent, and live alongside a later
/// client-side <c>kubectl apply</c> as it would on a real cluster.
/// </summary>
public sealed class ServerSideInstallTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;

    public async Task InitializeAsync() => _server = await KubernetesTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Server_side_install_is_accepted_whole_and_applying_it_again_writes_nothing()
    {
        var first = await KubectlAsync("apply", "--server-side", "-k", Deploy);

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal("", first.Error); // no Warning: and no refusal
        var applied = Lines(first.Output);
        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/filterdeployments.wasme.io serverside-applied", applied);
        Assert.All(applied, line => Assert.EndsWith(" serverside-applied", line, StringComparison.Ordinal));
        var crd = JsonNode.Parse((await KubectlAsync("get", "crd", "filterdeployments.wasme.io", "-o", "json", "--show-managed-fields")).Output)!;
        var owner = crd["metadata"]!["managedFields"]!.AsArray().Single(e => (string?)e!["operation"] == "Apply")!;
        Assert.Equal("kubectl", (string?)owner["manager"]);

        var revision = _server.ResourceVersion;
        var second = await KubectlAsync("apply", "--server-side", "-k", Deploy);

        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal("", second.Error);
        Assert.Equal(applied, Lines(second.Output));
        Assert.Equal(revision, _server.ResourceVersion);
    }

    [Fact]
    public async Task Client_side_apply_after_a_server_side_install_adopts_it_and_server_side_apply_still_owns_it()
    {
        Assert.Equal(0, (await KubectlAsync("apply", "--server-side", "-k", Deploy)).ExitCode);

        var clientSide = await KubectlAsync("apply", "-k", Deploy);

        // kubectl itself warns that server-side applied objects lack its annotation, and adds it; the values stay.
        Assert.True(clientSide.ExitCode == 0, clientSide.Error);
        Assert.Contains("is missing the kubectl.kubernetes.io/last-applied-configuration annotation", clientSide.Error);
        Assert.DoesNotContain("conflict", clientSide.Error, StringComparison.OrdinalIgnoreCase);
        var again = await KubectlAsync("apply", "--server-side", "-k", Deploy);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal("", again.Error);
    }

    private static string Deploy => Path.Combine(ClusterEnvironment.RepositoryRoot, "deploy");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private async Task<(int ExitCode, string Output, string Error)> KubectlAsync(params string[] arguments)
    {
        var cache = Path.Combine(Path.GetDirectoryName(_server.KubeconfigPath)!, "kubectl-cache");
        return await ExternalTool.RunAsync("kubectl", [.. arguments, "--kubeconfig", _server.KubeconfigPath, "--cache-dir", cache]);
    }
}
