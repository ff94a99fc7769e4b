using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Wasme.Proxy.Upstreams;

namespace Wasme.Proxy.Tests.Upstreams;

public sealed class ClusterHttpCallDispatcherTests
{
    [Fact]
    public void An_http_call_to_a_cluster_not_given_warns_once_naming_the_cluster_flag()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        using var dispatcher = new ClusterHttpCallDispatcher(
            new Dictionary<string, Uri> { ["known"] = new("http://127.0.0.1:9") }, 1024, loggerFactory.CreateLogger<ClusterHttpCallDispatcher>());

        Assert.True(dispatcher.HasCluster("known"));
        Assert.False(dispatcher.HasCluster("auth"));
        Assert.False(dispatcher.HasCluster("auth"));

        var warning = Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("cluster 'auth'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("--cluster auth=URL", warning.Message, StringComparison.Ordinal);
    }
}
