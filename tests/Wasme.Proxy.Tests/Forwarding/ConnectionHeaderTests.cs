using System.Net;
using System.Net.Sockets;
using System.Text;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>Headers a client names in Connection are hop-by-hop: neither the filters nor the upstream get them (Envoy's HTTP/1 codec).</summary>
public sealed class ConnectionHeaderTests
{
    [Theory]
    [InlineData("x-hop")]
    [InlineData("x-hop, TE")]
    public async Task A_header_the_client_names_in_connection_reaches_neither_the_filters_nor_the_upstream(string connection)
    {
        await using var upstream = await TestUpstream.StartAsync();
        var seenByFilter = new List<string>();
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) => { seenByFilter.AddRange(s.RequestHeaders.GetValues("x-hop")); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Connection", connection);
        request.Headers.TryAddWithoutValidation("x-hop", "only for the proxy");
        request.Headers.TryAddWithoutValidation("x-end-to-end", "kept");

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = upstream.Received.Single();
        Assert.False(received.Headers.ContainsKey("x-hop"));
        Assert.Equal("kept", received.Headers["x-end-to-end"]);
        Assert.Empty(seenByFilter);
    }

    [Theory]
    [InlineData("x-hop, keep-alive")]
    [InlineData("keep-alive, x-hop")]
    [InlineData("x-hop, close")]
    [InlineData("Close, X-Hop")]
    public async Task A_header_named_beside_keep_alive_or_close_reaches_neither_the_filters_nor_the_upstream(string connection)
    {
        await using var upstream = await TestUpstream.StartAsync();
        var seenByFilter = new List<string>();
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) => { seenByFilter.AddRange(s.RequestHeaders.GetValues("x-hop")); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await SendRawAsync(proxy, $"GET / HTTP/1.1\r\nHost: a\r\nConnection: {connection}\r\nx-hop: only for the proxy\r\nx-end-to-end: kept\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        var received = upstream.Received.First();
        Assert.False(received.Headers.ContainsKey("x-hop"));
        Assert.Equal("kept", received.Headers["x-end-to-end"]);
        Assert.Empty(seenByFilter);
    }

    [Theory]
    [InlineData("Connection: x-hop\r\nConnection: keep-alive")]
    [InlineData("Connection: keep-alive\r\nConnection: x-hop")]
    [InlineData("Connection: close\r\nConnection: x-hop")]
    [InlineData("Connection: x-hop\r\nConnection: upgrade")]
    [InlineData("Connection: x-hop\r\nConnection: keep-alive\r\nConnection: close")]
    public async Task A_header_named_on_one_of_several_connection_lines_reaches_neither_the_filters_nor_the_upstream(string connectionLines)
    {
        // Envoy's codec joins repeated Connection lines and honours every token; a client that splits them must not
        // get x-hop past the proxy.
        await using var upstream = await TestUpstream.StartAsync();
        var seenByFilter = new List<string>();
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) => { seenByFilter.AddRange(s.RequestHeaders.GetValues("x-hop")); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await SendRawAsync(proxy, $"GET / HTTP/1.1\r\nHost: a\r\n{connectionLines}\r\nx-hop: only for the proxy\r\nx-end-to-end: kept\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        var received = upstream.Received.First();
        Assert.False(received.Headers.ContainsKey("x-hop"));
        Assert.Equal("kept", received.Headers["x-end-to-end"]);
        Assert.Empty(seenByFilter);
    }

    [Fact]
    public async Task Connection_specific_request_headers_are_gone_before_the_filters_run_as_envoys_connection_manager_removes_them()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var seenByFilter = new List<string>();
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) =>
            {
                foreach (var name in new[] { "connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding" })
                {
                    if (s.RequestHeaders.GetValues(name).Count > 0)
                    {
                        seenByFilter.Add(name);
                    }
                }

                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await SendRawAsync(proxy, "POST / HTTP/1.1\r\nHost: a\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Empty(seenByFilter);
        var received = upstream.Received.First();
        Assert.Equal("hello", Encoding.UTF8.GetString(received.Body));
        Assert.False(received.Headers.ContainsKey("keep-alive"));
        Assert.False(received.Headers.ContainsKey("proxy-connection"));
        Assert.False(received.Headers.ContainsKey("upgrade"));
    }

    [Fact]
    public async Task Naming_x_forwarded_for_in_connection_is_refused_with_400_before_the_upstream()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Connection.Add("X-Forwarded-For");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1");

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Bad Request", await response.Content.ReadAsStringAsync());
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task Naming_x_forwarded_for_on_a_second_connection_line_is_refused_with_400_as_on_one_line()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        var reply = await proxy.SendRawAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-For\r\nConnection: keep-alive\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", reply, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
    }

    // Sends one request and reads until the proxy closes the connection.
    private static async Task<string> SendRawAsync(RunningProxy proxy, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Server.ListenEndpoint);
        var stream = client.GetStream();
        // A request that keeps the connection is followed by one that closes it, so the reply ends.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request + "GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync();
    }
}
