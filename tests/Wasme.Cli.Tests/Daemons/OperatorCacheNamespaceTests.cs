using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Daemons;

/// <summary><c>wasme operator --cache-namespace</c> (where HostPath's node records are) is checked at start, with the fix.</summary>
public sealed class OperatorCacheNamespaceTests
{
    [Fact]
    public async Task A_cache_namespace_that_cannot_be_a_namespace_is_a_usage_error_naming_the_flag()
    {
        var cli = new CliRunner();

        var code = await cli.RunAsync("operator", "--cache-namespace", "Wasme_System", "--health-address", "127.0.0.1:0", "--metrics-address", "");

        Assert.Equal(2, code);
        Assert.Contains(
            "--cache-namespace Wasme_System: not a valid namespace name; give the namespace the wasme-cache DaemonSet runs in, e.g. wasme",
            cli.Error.Output, StringComparison.Ordinal);
        Assert.Empty(cli.Out.Output);
    }

    [Fact]
    public async Task The_module_limit_the_registry_client_names_is_a_flag_of_the_operator_too()
    {
        var cli = new CliRunner();

        var code = await cli.RunAsync("operator", "--max-module-size", "0", "--health-address", "127.0.0.1:0", "--metrics-address", "");

        Assert.Equal(2, code);
        Assert.Contains("--max-module-size 0: must be a positive number of bytes", cli.Error.Output, StringComparison.Ordinal);
    }
}
