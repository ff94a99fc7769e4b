using System.Text;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>Request bodies are chunked or sized, nothing else: Envoy's codec answers 501 to other transfer codings.</summary>
public sealed class TransferCodingTests
{
    [Theory]
    [InlineData("gzip, chunked")]
    [InlineData("deflate,chunked")]
    public async Task A_transfer_coding_besides_chunked_is_refused_with_501_and_never_reaches_the_upstream(string transferEncoding)
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        var reply = await proxy.SendRawAsync($"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {transferEncoding}\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 501", reply, StringComparison.Ordinal);
        Assert.EndsWith("Not Implemented", reply, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task A_chunked_body_still_reaches_the_upstream()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        var reply = await proxy.SendRawAsync("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Equal("hello", Encoding.UTF8.GetString(upstream.Received.Single().Body));
    }
}
