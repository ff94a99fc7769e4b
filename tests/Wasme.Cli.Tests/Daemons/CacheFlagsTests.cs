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

    [Theory]
    [InlineData("http://my-node:9979")]
    [InlineData("http://wasme-cache.wasme.svc:9979")]
    public async Task A_listen_host_name_is_a_usage_error_not_a_crash(string listen)
    {
        // Was "unexpected failure, please report it as a bug: System.FormatException: An invalid IP address was specified." and a stack trace.
        var code = await _cli.RunAsync("cache", "--listen", listen, "--directory", _directory.Path, "--module", $"{Module}=localhost:5000/f@sha256:{Module}");

        Assert.Equal(2, code);
        Assert.Contains($"--listen '{listen}/' names the host", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("give an IP address of this node", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listen_address_no_interface_has_fails_in_one_line()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a machine. Was a bug-report line with a SocketException stack trace.
        var code = await _cli.RunAsync("cache", "--listen", "http://192.0.2.1:9979", "--directory", _directory.Path, "--module", $"{Module}=localhost:5000/f@sha256:{Module}");

        Assert.Equal(1, code);
        Assert.Equal("error: wasme cache: cannot listen on 192.0.2.1:9979 (--listen): no interface of this machine has that address; give one of its addresses, or 0.0.0.0", _cli.Error.Output.Trim());
    }

    [Fact]
    public async Task An_ipv6_listen_address_serves_instead_of_failing_after_the_start()
    {
        using var stop = new CancellationTokenSource();

        // The start line printed the bound address as markup: "[::1]" read as a style, which threw and stopped the daemon (exit 1).
        var running = _cli.RunAsync(stop.Token, "cache", "--listen", "http://[::1]:0", "--directory", _directory.Path, "--module", $"{Module}=localhost:5000/f@sha256:{Module}");
        while (!running.IsCompleted && !_cli.Error.Output.Contains("wasme cache serving", StringComparison.Ordinal))
        {
            await Task.WhenAny(running, Task.Delay(20));
        }

        await stop.CancelAsync();
        var code = await running;

        Assert.True(code == 0, _cli.Error.Output);
        Assert.Contains($"wasme cache serving {_directory.Path} on http://[::1]:", _cli.Error.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
