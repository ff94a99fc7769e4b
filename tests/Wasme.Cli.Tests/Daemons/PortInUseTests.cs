using System.Net;
using System.Net.Sockets;
using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cli.Tests.Daemons;

/// <summary>Every listening command, given a port another socket holds: one line naming the address and the flag, exit 1.</summary>
public sealed class PortInUseTests : IDisposable
{
    private readonly TcpListener _held = new(IPAddress.Loopback, 0);
    private readonly CliRunner _cli = new CliRunner().WithEnvironment("KUBECONFIG", null);
    private readonly TempDirectory _directory = new();

    public PortInUseTests()
    {
        _held.Start();
    }

    private string Held => $"127.0.0.1:{((IPEndPoint)_held.LocalEndpoint).Port}";

    [Fact]
    public async Task Cache_names_its_listen_address()
    {
        var code = await _cli.RunAsync("cache", "--listen", $"http://{Held}", "--directory", _directory.Path, "--module", $"{new string('a', 64)}=localhost:5000/f@sha256:{new string('a', 64)}");

        Assert.Equal(1, code);
        Assert.Equal($"error: wasme cache: cannot listen on {Held} (--listen): address already in use; choose another port", _cli.Error.Output.Trim());
    }

    [Theory]
    [InlineData("--health-address")]
    [InlineData("--metrics-address")]
    public async Task Operator_names_the_address_and_flag_that_is_taken(string flag)
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var other = flag == "--health-address" ? "--metrics-address" : "--health-address";

        var code = await _cli.RunAsync("operator", "--kubeconfig", server.KubeconfigPath, flag, Held, other, "127.0.0.1:0");

        Assert.Equal(1, code);
        Assert.EndsWith($"error: wasme operator: cannot listen on {Held} ({flag}): address already in use; choose another port", _cli.Error.Output.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--listen")]
    [InlineData("--admin")]
    public async Task Run_names_the_address_and_flag_that_is_taken(string flag)
    {
        var other = flag == "--listen" ? "--admin" : "--listen";

        var code = await _cli.RunAsync("run", "--echo-upstream", flag, Held, other, "127.0.0.1:0");

        Assert.Equal(1, code);
        Assert.Equal($"error: wasme run: cannot listen on {Held} ({flag}): address already in use; choose another port", _cli.Error.Output.Trim());
    }

    public void Dispose()
    {
        _held.Dispose();
        _directory.Dispose();
    }
}
