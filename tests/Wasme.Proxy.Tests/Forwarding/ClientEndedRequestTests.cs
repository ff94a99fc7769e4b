using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>
/// A client that cuts its request body short is the client's fault, as Envoy counts it (a downstream reset): it gets
/// Kestrel's 400 (when the connection still takes it), and is neither logged as a fault of the data plane nor counted as an upstream error.
/// </summary>
public sealed class ClientEndedRequestTests
{
    [Theory]
    [InlineData(1000)] // read whole before the filters (a small body of known length)
    [InlineData(200_000)] // streamed through the filters while forwarded
    public async Task A_body_cut_short_is_answered_400_and_not_logged_as_a_proxy_or_upstream_failure(int declaredLength)
    {
        await using var upstream = await TestUpstream.StartAsync();
        var reader = new DelegateFilter("body-reader") { RequestBody = (_, _, _) => FilterStatus.Continue };
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [reader], loggerFactory: loggerFactory);

        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Server.ListenEndpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {declaredLength}\r\n\r\nonly this"));
        client.Client.Shutdown(SocketShutdown.Send); // the body ends 9 bytes in
        var reply = await ReadReplyAsync(stream);
        await proxy.DisposeAsync(); // waits for the request to be handled

        Assert.Equal(1, proxy.Server.Metrics.Requests);
        Assert.True(reply.Length == 0 || reply.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), reply);
        Assert.Equal(0, proxy.Server.Metrics.UpstreamErrors);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }

    // Kestrel may reset the connection rather than close it once it answered a request whose body it could not read.
    private static async Task<string> ReadReplyAsync(NetworkStream stream)
    {
        var reply = new MemoryStream();
        try
        {
            await stream.CopyToAsync(reply);
        }
        catch (IOException)
        {
        }

        return Encoding.ASCII.GetString(reply.ToArray());
    }
}
