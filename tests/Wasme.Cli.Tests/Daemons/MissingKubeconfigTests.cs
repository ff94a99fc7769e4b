using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Istio;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Daemons;

/// <summary>
/// Without any kubeconfig every cluster command says in one line what it tried and which flag fixes it, and exits 2,
/// instead of a KubeConfigException stack trace (deploy) or retrying localhost:8080 forever (operator).
/// </summary>
public sealed class MissingKubeconfigTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly CliRunner _cli;

    public MissingKubeconfigTests()
    {
        _cli = new CliRunner().WithEnvironment("KUBECONFIG", null).WithEnvironment("HOME", _home.Path);
    }

    public static TheoryData<string[]> Commands() => new()
    {
        { ["deploy", "istio", "webassemblyhub.io/ceposta/demo-add-header:v0.2", "--id=myfilter", "--namespace=bookinfo", "--labels", "app=details", .. IstioCli.SeedFacts] },
        { ["undeploy", "istio", "--id=myfilter", "--namespace=bookinfo"] },
        { ["operator", "--health-address", "127.0.0.1:0", "--metrics-address", ""] },
        { ["cache", "--listen", "http://127.0.0.1:0", "--node-name", "node-1"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_command_without_any_kubeconfig_names_what_it_tried_and_the_flag(string[] args)
    {
        using var directory = new TempDirectory();
        string[] withDirectory = args[0] == "cache" ? [.. args, "--directory", directory.Path] : args;

        var code = await _cli.RunAsync(withDirectory);

        Assert.Equal(2, code);
        var error = _cli.Error.Output.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.Contains("no kubeconfig found", error, StringComparison.Ordinal);
        Assert.Contains("$KUBECONFIG (not set)", error, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(_home.Path, ".kube", "config")} (no such file)", error, StringComparison.Ordinal);
        Assert.Contains("in-cluster service account", error, StringComparison.Ordinal);
        Assert.Contains("--kubeconfig", error, StringComparison.Ordinal);
        Assert.Empty(_cli.Out.Output);
    }

    [Fact]
    public async Task A_kubeconfig_flag_naming_no_file_says_so()
    {
        var missing = Path.Combine(_home.Path, "nowhere.yaml");

        var code = await _cli.RunAsync("operator", "--kubeconfig", missing, "--health-address", "127.0.0.1:0", "--metrics-address", "");

        Assert.Equal(2, code);
        var error = _cli.Error.Output.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith($"error: --kubeconfig {missing}", error, StringComparison.Ordinal);
    }

    public void Dispose() => _home.Dispose();
}
