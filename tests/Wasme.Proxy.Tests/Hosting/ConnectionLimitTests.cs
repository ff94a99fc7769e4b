using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Hosting;

/// <summary>
/// HTTP connections past the limit (what the open-file limit leaves) are closed as they arrive; the user must learn why
/// their clients are cut off, as the TCP listener and Envoy's listener overflow stat tell them.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task A_connection_past_the_limit_is_closed_and_a_warning_names_the_limit_once()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        await using var proxy = await RunningProxy.StartAsync(null, [], o => o with { MaxConnections = 1 }, loggerFactory: loggerFactory);

        // The first connection is served and kept open.
        using var first = new TcpClient();
        await first.ConnectAsync(proxy.Server.ListenEndpoint);
        var firstStream = first.GetStream();
        await firstStream.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        var read = await firstStream.ReadAsync(buffer);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);

        // Two more are closed as they arrive, with no answer.
        for (var i = 0; i < 2; i++)
        {
            using var extra = new TcpClient();
            await extra.ConnectAsync(proxy.Server.ListenEndpoint);
            var extraStream = extra.GetStream();
            await extraStream.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
            Assert.Equal(0, await ReadToEndAsync(extraStream));
        }

        // Besides the warning at start that the limit is low: one when connections are first closed for it.
        var warnings = logs.GetSnapshot().Where(r => r.Level >= LogLevel.Warning && r.Message.Contains("reached", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("limit of 1 HTTP connections reached", warning.Message, StringComparison.Ordinal);
    }

    private static async Task<int> ReadToEndAsync(NetworkStream stream)
    {
        var total = 0;
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                total += read;
            }
        }
        catch (IOException)
        {
            // Reset: closed too.
        }

        return total;
    }
}
