using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Istio;

/// <summary>
/// What `wasme render` prints for every golden case (the golden tests hold render to expected.yaml) is accepted by the
/// API server with Istio's CRDs installed, as `kubectl apply --dry-run=server` judges it: Istio's schemas and CEL rules
/// (url scheme, selector exclusivity, label wildcards), strict field validation, and Pod Security warnings.
/// </summary>
public sealed class RenderedObjectsApplyTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(IstioCli.Root, "tests", "Wasme.Istio.Tests", "testassets")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { AutoCreateNamespaces = true });
        await _server.InstallIstioCrdsAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_golden_render_is_accepted_by_the_API_server_without_a_warning(string name)
    {
        var expected = Path.Combine(IstioCli.GoldenCase(name), "expected.yaml");

        var (code, output, error) = await ExternalTool.RunAsync(
            "kubectl",
            ["apply", "--dry-run=server", "-f", expected, "--kubeconfig", _server.KubeconfigPath, "--cache-dir", Path.Combine(Path.GetDirectoryName(_server.KubeconfigPath)!, "kubectl-cache")]);

        Assert.True(code == 0, $"kubectl exited {code}: {error}{output}");
        Assert.DoesNotContain("Warning", error, StringComparison.Ordinal);
        Assert.Contains("(server dry run)", output, StringComparison.Ordinal);
    }
}
