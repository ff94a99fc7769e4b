using System.Buffers;
using System.Text;
using Wasme.Cache.Http;

namespace Wasme.Cache.Tests.Http;

/// <summary>What the sendfile path answers itself; everything else must reach Kestrel untouched.</summary>
public sealed class HitRequestTests
{
    private const string Hex = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";
    private const string Line = "GET /sha256/" + Hex + " HTTP/1.1\r\n";

    [Theory]
    [InlineData(Line + "Host: 127.0.0.1:8080\r\n\r\n")]
    [InlineData(Line + "host:wasme-cache.wasme.svc\r\nUser-Agent: envoy\r\nAccept: */*\r\nX-Request-Id: 1 2 3\r\n\r\n")]
    [InlineData(Line + "Connection: Keep-Alive\r\nHost: [::1]:80\r\n\r\n")]
    [InlineData(Line + "Host: [::ffff:10.0.0.1]\r\n\r\n")]
    [InlineData(Line + "Host: wasme_cache:9979\r\n\r\n")]
    public void Plain_gets_of_a_module_are_recognised(string head)
    {
        var bytes = Encoding.ASCII.GetBytes(head + "GET /next");

        Assert.True(HitRequest.TryParse(new ReadOnlySequence<byte>(bytes), out var digest, out var length));
        Assert.Equal(Hex, digest.Hex);
        Assert.Equal(head.Length, length);
    }

    [Theory]
    [InlineData(Line + "Host: a\r\n")] // incomplete: Kestrel waits for the rest under its own header timeout
    [InlineData("HEAD /sha256/" + Hex + " HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /sha256/" + Hex + " HTTP/1.0\r\nHost: a\r\n\r\n")]
    [InlineData("GET /sha256/" + Hex + "?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /sha256/44BF95B368E78FAFB663020B43CF099B23FC6032814653F2F47E4D20643E7267 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("\r\n" + Line + "Host: a\r\n\r\n")]
    [InlineData(Line + "\r\n")]
    [InlineData(Line + "Host: a\r\nHost: b\r\n\r\n")]
    [InlineData(Line + "Host: a/b\r\n\r\n")]
    [InlineData(Line + "Host: a:b\r\n\r\n")]
    [InlineData(Line + "Host: a:1:2\r\n\r\n")]
    [InlineData(Line + "Host: :80\r\n\r\n")]
    [InlineData(Line + "Host: [::1\r\n\r\n")]
    [InlineData(Line + "Host: [::1]x\r\n\r\n")]
    [InlineData(Line + "Host: ][\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nX-A: caf\u00e9\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nRange: bytes=0-1\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nIf-None-Match: *\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nif-modified-since: Thu, 26 Nov 2026 10:00:00 GMT\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nConnection: close\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nX-A: b\r\n folded\r\n\r\n")]
    [InlineData(Line + "Host : a\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nNo colon here\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nX-A: b\nX-B: c\r\n\r\n")]
    [InlineData(Line + "Host: a\r\nX-A: b\0\r\n\r\n")]
    public void Anything_else_is_left_to_kestrel(string head)
    {
        Assert.False(HitRequest.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head)), out _, out _));
    }

    [Fact]
    public void A_head_past_the_bound_is_left_to_kestrel()
    {
        var head = Line + "Host: a\r\nX-Pad: " + new string('x', HitRequest.MaxHeadBytes) + "\r\n\r\n";

        Assert.False(HitRequest.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(head)), out _, out _));
    }

    [Fact]
    public void A_head_split_across_buffer_segments_is_recognised()
    {
        var bytes = Encoding.ASCII.GetBytes(Line + "Host: a\r\nUser-Agent: curl\r\n\r\n");
        var first = new Segment(bytes.AsMemory(0, 40));
        var last = first.Append(bytes.AsMemory(40));

        Assert.True(HitRequest.TryParse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), out var digest, out var length));
        Assert.Equal(Hex, digest.Hex);
        Assert.Equal(bytes.Length, length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
