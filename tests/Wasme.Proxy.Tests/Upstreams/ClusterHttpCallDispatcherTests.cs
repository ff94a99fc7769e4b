using System.Net;
using System.Net.Sockets;
using System.Text;
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

    [Fact]
    public async Task An_http_call_response_reaches_the_filter_with_its_header_lines_as_received()
    {
        // Python's http.server and proxies write these; HttpClient's parsed view split Server at the space, Via at
        // the comma, and rewrote Cache-Control. Envoy hands them on verbatim, names lower-cased (issue 16, point 7).
        const string head = "HTTP/1.1 200 OK\r\n" +
            "Server: BaseHTTP/0.6 Python/3.11.7\r\n" +
            "Via: 1.1 alpha, 1.0 beta\r\n" +
            "Cache-Control: no-cache, max-age=0, must-revalidate\r\n" +
            "Set-Cookie: a=1; Path=/\r\n" +
            "Set-Cookie: b=2\r\n" +
            "X-Odd:   spaced value \r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Length: 2\r\n" +
            "\r\n" +
            "ok";
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var served = ServeOnceAsync(listener, head);
        using var dispatcher = new ClusterHttpCallDispatcher(
            new Dictionary<string, Uri> { ["raw"] = new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}") }, 1024);
        var headers = new Wasme.ProxyWasm.HeaderMap();
        headers.Add(":method", "GET");
        headers.Add(":path", "/");
        headers.Add(":authority", "raw");

        var response = await dispatcher.SendAsync(new Wasme.ProxyWasm.HttpCallRequest("raw", headers, default, new Wasme.ProxyWasm.HeaderMap()), TimeSpan.FromSeconds(30), CancellationToken.None);
        await served;

        Assert.Equal(
            [
                ":status: 200",
                "server: BaseHTTP/0.6 Python/3.11.7",
                "via: 1.1 alpha, 1.0 beta",
                "cache-control: no-cache, max-age=0, must-revalidate",
                "set-cookie: a=1; Path=/",
                "set-cookie: b=2",
                "x-odd: spaced value",
                "content-type: text/plain; charset=utf-8",
                "content-length: 2",
            ],
            response.Headers.Select(h => $"{h.Key}: {h.Value}"));
        Assert.Equal("ok", Encoding.ASCII.GetString(response.Body.Span));
    }

    private static async Task ServeOnceAsync(TcpListener listener, string response)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
        await stream.FlushAsync();
    }
}
