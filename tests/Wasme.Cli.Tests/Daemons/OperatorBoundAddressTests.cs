using System.Text.RegularExpressions;
using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cli.Tests.Daemons;

/// <summary>
/// <c>wasme operator --health-address 127.0.0.1:0</c>, as a test harness or a script starts it so two runs never race
/// for a port: the port the kernel chose is logged, and the endpoints answer there.
/// </summary>
public sealed partial class OperatorBoundAddressTests : IAsyncLifetime
{
    private readonly TempDirectory _home = new();
    private KubernetesTestServer _kube = null!;

    public async Task InitializeAsync() => _kube = await KubernetesTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _kube.DisposeAsync();
        _home.Dispose();
    }

    [Fact]
    public async Task Given_port_0_the_operator_logs_the_port_it_bound_and_serves_health_there()
    {
        using var op = WasmeProcess.Start(
            new Dictionary<string, string> { ["HOME"] = _home.Path },
            "operator", "--kubeconfig", _kube.KubeconfigPath, "--health-address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0", "--cache-service-url", "http://127.0.0.1:9979");

        Match serving = Match.Empty;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            while (!(serving = ServingLine().Match(op.OutputSoFar)).Success)
            {
                Assert.False(timeout.IsCancellationRequested, $"the operator logged no Serving line: {op.OutputSoFar}");
                await Task.Delay(50);
            }
        }

        var health = new Uri(serving.Groups["address"].Value);
        Assert.NotEqual(0, health.Port);
        using var http = new HttpClient { BaseAddress = health };
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        Assert.Contains("/metrics", serving.Value, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Serving [^""]* on (?<address>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ServingLine();
}
