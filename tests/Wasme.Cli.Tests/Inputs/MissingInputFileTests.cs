using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Inputs;

/// <summary>
/// A file named on the command line that does not exist is exit 3 (not found, as `wasme exit-codes` says) whichever
/// command and flag name it, with a line naming the file: `render -f` and the signing flags said 2 where
/// `run --envoy-filter` and `test` said 3.
/// </summary>
public sealed class MissingInputFileTests : IDisposable
{
    private const string Missing = "MISSING";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string[]> Commands() => new()
    {
        { "render -f", ["render", "-f", Missing] },
        { "sign --key", ["sign", "localhost:5000/f:v1", "--key", Missing] },
        { "verify --key", ["verify", "localhost:5000/f:v1", "--key", Missing] },
        { "verify --trust-root", ["verify", "localhost:5000/f:v1", "--certificate-identity", "dev@example.com", "--certificate-oidc-issuer", "https://issuer.example.com", "--trust-root", Missing] },
        { "build DIR", ["build", "assemblyscript", Missing, "-t", "f:v1"] },
        { "build precompiled --config", ["build", "precompiled", "MODULE", "-t", "f:v1", "--config", Missing] },
        { "undeploy --kubeconfig", ["undeploy", "istio", "--id=myfilter", "--namespace=bookinfo", "--kubeconfig", Missing] },
        { "run --envoy-filter", ["run", "--envoy-filter", Missing, "--echo-upstream"] },
        { "test FILE", ["test", Missing] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_missing_input_file_is_exit_3_naming_it(string flag, string[] args)
    {
        var missing = _temp.Combine("missing.file");
        var module = _temp.Combine("filter.wasm");
        await File.WriteAllBytesAsync(module, [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
        var cli = new CliRunner().WithEnvironment("KUBECONFIG", null).WithEnvironment("HOME", _temp.Path).WithEnvironment("WASME_STORE", _temp.Combine("store"));

        var code = await cli.RunAsync([.. args.Select(a => a switch { Missing => missing, "MODULE" => module, _ => a })]);

        Assert.True(code == ExitCodes.NotFound, $"{flag}: exit {code}: {cli.Error.Output}");
        Assert.Contains(missing, cli.Error.Output, StringComparison.Ordinal);
    }
}
