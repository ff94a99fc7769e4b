using System.Net.Sockets;
using System.Text;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>Requests shaped to confuse a proxy are refused before any filter or the upstream sees them, as Envoy refuses them.</summary>
public sealed class HostileClientTests
{
    [Fact]
    public async Task A_request_with_both_content_length_and_transfer_encoding_is_refused_with_400_before_the_filters()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var filterRan = false;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan = true; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await proxy.SendRawAsync("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", reply, StringComparison.Ordinal);
        Assert.EndsWith("Bad Request", reply, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
        Assert.False(filterRan, "a filter saw a request Envoy refuses in its codec");
    }

    [Theory]
    [InlineData("\x01")]
    [InlineData("\x1b[2J")]
    [InlineData("\x0b")]
    [InlineData("\x7f")]
    public async Task A_control_character_in_a_header_value_is_refused_with_400_before_the_filters(string control)
    {
        await using var upstream = await TestUpstream.StartAsync();
        var filterRan = false;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan = true; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await proxy.SendRawAsync($"GET / HTTP/1.1\r\nHost: a\r\nx-note: a{control}b\r\n\r\n");
        var tab = await proxy.SendRawAsync("GET / HTTP/1.1\r\nHost: a\r\nx-note: a\tb\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", reply, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", tab, StringComparison.Ordinal);
        Assert.Equal("a\tb", upstream.Received.Single().Headers["x-note"]);
        Assert.True(filterRan, "the filter should have seen the request with a tab");
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("Get")]
    [InlineData("FOO")]
    public async Task A_method_envoys_codec_does_not_know_is_refused_with_400_before_the_filters(string method)
    {
        // The forwarder would send "delete" upstream as DELETE, past a filter that refuses DELETE by name.
        await using var upstream = await TestUpstream.StartAsync();
        var filterRan = false;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan = true; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await proxy.SendRawAsync($"{method} /item/1 HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", reply, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
        Assert.False(filterRan, "a filter saw a method Envoy refuses in its codec");
    }

    [Fact]
    public async Task A_connect_request_is_refused_with_403_before_the_filters_and_the_upstream()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var filterRan = false;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan = true; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await proxy.SendRawAsync("CONNECT internal.example:22 HTTP/1.1\r\nHost: internal.example:22\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403", reply, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
        Assert.False(filterRan, "a filter saw a CONNECT no route tunnels");
        Assert.Equal(0, proxy.Server.Metrics.UpstreamErrors);
    }

    [Fact]
    public async Task Expect_100_continue_is_answered_before_the_filters_run_and_they_never_see_it()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var clientGot100 = new ManualResetEventSlim();
        bool? answeredBeforeFilter = null;
        string? expectSeen = null;
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) =>
            {
                var expect = s.RequestHeaders.GetValues("expect");
                expectSeen = expect.Count > 0 ? expect[0] : null;
                // Bounded only so that a proxy that answers later fails the test instead of hanging it.
                answeredBeforeFilter = clientGot100.Wait(TimeSpan.FromSeconds(10));
                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Server.ListenEndpoint);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);

        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n"u8.ToArray());
        var interim = await reader.ReadLineAsync();
        clientGot100.Set();
        await stream.WriteAsync("hello"u8.ToArray());
        var rest = await reader.ReadToEndAsync();

        Assert.Equal("HTTP/1.1 100 Continue", interim);
        Assert.Contains("HTTP/1.1 200", rest, StringComparison.Ordinal);
        Assert.True(answeredBeforeFilter, "the client's 100 Continue waited for the filters");
        Assert.Null(expectSeen);
        Assert.Equal("hello", Encoding.UTF8.GetString(upstream.Received.Single().Body));
    }
}
