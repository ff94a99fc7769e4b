using System.Net.Sockets;
using System.Text;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>
/// Envoy answers a client's <c>Expect: 100-continue</c> itself and strips it (proxy_100_continue off): an upstream that
/// sends no 100 would otherwise hold every upload back (HttpClient waits up to a second before sending the body).
/// </summary>
public sealed class ExpectContinueTests
{
    [Fact]
    public async Task The_client_gets_its_100_continue_from_the_proxy_and_the_upstream_never_sees_the_expectation()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Server.ListenEndpoint);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);

        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"u8.ToArray());
        var interim = await reader.ReadLineAsync();
        await stream.WriteAsync("hello"u8.ToArray());
        var rest = await reader.ReadToEndAsync();

        Assert.Equal("HTTP/1.1 100 Continue", interim);
        Assert.Contains("HTTP/1.1 200", rest, StringComparison.Ordinal);
        var received = upstream.Received.Single();
        Assert.Equal("hello", Encoding.UTF8.GetString(received.Body));
        Assert.False(received.Headers.ContainsKey("expect"), "the proxy passed Expect: 100-continue on to the upstream");
    }
}
