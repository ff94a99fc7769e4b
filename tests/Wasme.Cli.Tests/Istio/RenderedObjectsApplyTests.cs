using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Istio;

/// <summary>
/// What `wasme render` prints for every golden case (the golden tests hold render to expected.yaml) is accepted by the
/// API server with Istio's CRDs installed, as `kubectl apply --dry-run=server` judges it: Istio's schemas and CEL rules
/// (url scheme, selector exclusivity, label wildcards), strict field validation, Pod Security warnings, and the stand-in
/// for istiod's validating webhook (its refusals, and its warnings beyond the one every EnvoyFilter gets).
/// </summary>
public sealed class RenderedObjectsApplyTests : IAsyncLifetime
{
    private const string IstiodEnvoyFilterWarning = "Warning: EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.";

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
        Assert.Contains("(server dry run)", output, StringComparison.Ordinal);

        // istiod warns about every EnvoyFilter, whatever it holds; any other warning is about what wasme wrote. The
        // stand-in is today's istiod: before 1.7 wasme writes the untyped v2 filter and v2 filter names on purpose, which
        // that release's own validation took, and today's istiod only warns about (unknown field "config", deprecated names).
        if (IsBeforeTypedConfig(name))
        {
            return;
        }

        var warnings = error.Split('\n').Where(l => l.StartsWith("Warning:", StringComparison.Ordinal) && l != IstiodEnvoyFilterWarning).ToList();
        Assert.True(warnings.Count == 0, string.Join('\n', warnings));
    }

    private static bool IsBeforeTypedConfig(string name)
    {
        var options = Path.Combine(IstioCli.GoldenCase(name), "options.json");
        if (!File.Exists(options))
        {
            return false;
        }

        var version = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(options))?["istioVersion"]?.GetValue<string>();
        return version is not null && Version.Parse(version) < new Version(1, 7);
    }
}
