using System.Net.Sockets;
using System.Text;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>
/// An upstream that fails after its response headers (a body cut short) has answered: Envoy's router then resets the
/// client's stream, whether or not a filter held the response back, rather than answering a local reply saying the
/// upstream failed before its headers. The client must not get a complete response that looks like an answer.
/// </summary>
public sealed class UpstreamBodyFailureTests
{
    [Theory]
    // A body of known length, read whole for the filters: the headers arrived, the body stopped at 5 of 100 bytes.
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")]
    // A chunked body that stops inside a chunk.
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")]
    public async Task A_body_cut_short_after_the_headers_resets_the_client_instead_of_a_complete_error_reply(string answer)
    {
        var seenStatus = 0;
        var filter = new DelegateFilter("watch")
        {
            ResponseHeaders = (s, _) => { seenStatus = s.UpstreamStatusCode; return FilterStatus.Continue; },
        };
        await using var upstream = RawUpstream.Start(answer);
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [filter]);

        var received = await SendUntilClosedAsync(proxy, "GET / HTTP/1.1\r\nHost: test\r\n\r\n");

        Assert.Equal(200, seenStatus);
        Assert.DoesNotContain("before headers", received, StringComparison.Ordinal);
        Assert.False(
            received.StartsWith("HTTP/1.1 5", StringComparison.Ordinal),
            $"the client got a complete error reply for an upstream that answered 200 and then failed: {received}");
        Assert.Equal(1, proxy.Server.Metrics.UpstreamErrors);
    }

    /// <summary>What the client reads until the proxy closes (or resets) the connection.</summary>
    private static async Task<string> SendUntilClosedAsync(RunningProxy proxy, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Server.ListenEndpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        // Guards a regression from hanging the run: a kept-alive connection would otherwise be read for ever.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, guard.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset: what Envoy does to a stream whose upstream failed mid-response.
        }
        catch (OperationCanceledException)
        {
            // Still open: the reply was complete and the connection kept alive.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
