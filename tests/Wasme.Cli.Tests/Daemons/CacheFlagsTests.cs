using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Daemons;

/// <summary>
/// <c>wasme cache --module</c> values the cache could never pull are refused before it starts (exit 2, naming the value
/// and the form), instead of a daemon that reports ready and retries a failing pull forever.
/// </summary>
public sealed class CacheFlagsTests : IDisposable
{
    private static readonly string Module = new('a', 64);
    private readonly CliRunner _cli = new CliRunner().WithEnvironment("KUBECONFIG", null);
    private readonly TempDirectory _directory = new();

    [Theory]
    [InlineData("localhost:5000/filters/add-header:v1")]
    [InlineData("localhost:5000/filters/add-header")]
    [InlineData("not a reference@sha256:0")]
    [InlineData("")]
    public async Task A_module_image_not_pinned_by_digest_is_a_usage_error(string image)
    {
        var code = await _cli.RunAsync("cache", "--listen", "http://127.0.0.1:0", "--directory", _directory.Path, "--module", $"{Module}={image}");

        Assert.Equal(2, code);
        var error = _cli.Error.Output;
        Assert.Contains($"--module '{Module}={image}'", error, StringComparison.Ordinal);
        Assert.Contains("@sha256:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("--node-name", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_directory.Path));
    }

    [Fact]
    public async Task Max_module_size_the_registry_refusal_names_is_an_option_of_the_cache()
    {
        // A module over the limit is refused with "Raise --max-module-size if this is expected" (the registry client's words,
        // the ModuleFetchFailed reason): `wasme cache` answered that flag with "Unrecognized command or argument".
        var code = await _cli.RunAsync("cache", "--listen", "http://127.0.0.1:0", "--directory", _directory.Path, "--max-module-size", "0", "--module", $"{Module}=localhost:5000/f@sha256:{Module}");

        Assert.Equal(2, code);
        Assert.Contains("--max-module-bytes 0 must be positive", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unrecognized", _cli.Error.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
