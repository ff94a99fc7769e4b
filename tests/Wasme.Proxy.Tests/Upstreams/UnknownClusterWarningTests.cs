using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Wasme.Proxy.Upstreams;

namespace Wasme.Proxy.Tests.Upstreams;

/// <summary>
/// The cluster names a filter calls out to are its own: warning about unknown ones must not let it grow the host's
/// memory or the log without bound, nor forge log lines with the names.
/// </summary>
public sealed class UnknownClusterWarningTests
{
    [Fact]
    public void A_filter_calling_out_under_ever_new_names_gets_a_bounded_number_of_escaped_warnings()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        using var dispatcher = new ClusterHttpCallDispatcher(new Dictionary<string, Uri>(), 1024, loggerFactory.CreateLogger("test"));

        Assert.False(dispatcher.HasCluster("auth\nwarn: [admin] all clear\u001b[2J"));
        for (var i = 0; i < 5000; i++)
        {
            Assert.False(dispatcher.HasCluster($"cluster-{i}"));
            Assert.False(dispatcher.HasGrpcCluster($"grpc-{i}"));
        }

        var warnings = logs.GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Message).ToList();
        Assert.Equal(2 * (UnknownClusterWarnings.MaxNames + 1), warnings.Count); // per kind: the first names, then one line
        Assert.Contains(@"A filter's http_call to cluster 'auth\nwarn: [admin] all clear\u001b[2J' was refused: no such cluster", warnings[0], StringComparison.Ordinal);
        Assert.All(warnings, w => Assert.DoesNotContain('\n', w));
        Assert.Contains(warnings, w => w.StartsWith("Filters made http_calls to 64 clusters that no --cluster names", StringComparison.Ordinal));
    }
}
