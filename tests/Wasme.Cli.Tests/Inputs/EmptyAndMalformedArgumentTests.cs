using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Inputs;

/// <summary>
/// An empty path (an unset shell variable) or a registry no URL can hold is the caller's mistake, exit 2 with the
/// argument named, where wasme reported "unexpected failure, please report it as a bug" or wrote files named by nothing.
/// </summary>
public sealed class EmptyAndMalformedArgumentTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string[]> Commands() => new()
    {
        { "DIR", ["init", "", "--language", "assemblyscript"] },
        { "DIR", ["build", "assemblyscript", "", "-t", "f:v1"] },
        { "--config", ["build", "assemblyscript", ".", "-t", "f:v1", "--config", ""] },
        { "FILE", ["build", "precompiled", "", "-t", "f:v1", "-c", "runtime-config.json"] },
        { "--config", ["build", "precompiled", "filter.wasm", "-t", "f:v1", "-c", ""] },
        { "--envoy-filter", ["run", "--envoy-filter", "", "--echo-upstream"] },
        { "--output-key-prefix", ["generate-key-pair", "--output-key-prefix", ""] },
        { "--store", ["list", "--store", ""] },
        { "--store", ["rmi", "--store", " ", "f:v1"] },
        { "--remote ''", ["list", "--remote", ""] },
        { "--remote 'localhost:99999'", ["list", "--remote", "localhost:99999"] },
        { "--remote 'localhost:5000/Team'", ["list", "--remote", "localhost:5000/Team"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task An_empty_path_or_unusable_registry_is_a_usage_error_naming_it(string named, string[] args)
    {
        var cli = new CliRunner().WithEnvironment("HOME", _temp.Path).WithEnvironment("WASME_STORE", _temp.Combine("store")).WithEnvironment("COSIGN_PASSWORD", "pw");
        var before = Directory.EnumerateFileSystemEntries(Directory.GetCurrentDirectory()).Count();

        var code = await cli.RunAsync(args);

        Assert.True(code == ExitCodes.UsageError, $"exit {code}: {cli.Error.Output}");
        Assert.Contains(named, cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("report it as a bug", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(Directory.GetCurrentDirectory()).Count());
    }
}
