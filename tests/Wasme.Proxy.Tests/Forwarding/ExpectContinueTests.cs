using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Wasme.Proxy.Forwarding;
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

    [Fact]
    public async Task A_body_that_arrives_while_the_100_is_being_sent_reaches_the_upstream_whole()
    {
        // A client sends its body as soon as the 100 is in; on a busy proxy it can land while the proxy is still starting
        // the read that sends the 100. The forwarder's read of the body must then get the body, not a cancelled read:
        // that read, cancelled, was answered 400 (seen under load in ExpectContinueTests' end-to-end test).
        var body = new BodyArrivingDuringTheFirstRead("hello"u8.ToArray());
        var context = new DefaultHttpContext();
        context.Features.Set<IRequestBodyPipeFeature>(body);
        context.Request.Headers.Expect = "100-continue";

        await ExpectContinue.AnswerAsync(context.Request, hasBody: true);
        var read = await context.Request.BodyReader.ReadAsync();

        Assert.True(body.ContinueSent, "no read of the body waited, so Kestrel sent no 100");
        Assert.False(read.IsCanceled, "the forwarder's read of the body came back cancelled");
        Assert.Equal("hello", Encoding.ASCII.GetString(read.Buffer.ToArray()));
        Assert.False(context.Request.Headers.ContainsKey("Expect"));
    }

    /// <summary>
    /// Kestrel's request body (content length) when the client's bytes arrive just after the first read began waiting:
    /// that read takes them, and a CancelPendingRead that comes after it is kept for the next read.
    /// </summary>
    private sealed class BodyArrivingDuringTheFirstRead(byte[] bytes) : PipeReader, IRequestBodyPipeFeature
    {
        private TaskCompletionSource<ReadResult>? _waiting;
        private bool _arrived;
        private bool _cancelNext;

        /// <summary>Kestrel sends the 100 when a read finds no body yet and has to wait.</summary>
        public bool ContinueSent { get; private set; }

        public PipeReader Reader => this;

        public override bool TryRead(out ReadResult result)
        {
            result = _arrived ? Take() : default;
            return _arrived;
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (!_arrived && !ContinueSent)
            {
                ContinueSent = true;
                _waiting = new TaskCompletionSource<ReadResult>();
                return new ValueTask<ReadResult>(_waiting.Task);
            }

            _arrived = true; // the client sent its body once it had the 100
            return ValueTask.FromResult(Take());
        }

        public override void CancelPendingRead()
        {
            // The bytes got here first: the waiting read completes with them, and the cancel waits for the next read.
            if (_waiting is { } waiting)
            {
                _waiting = null;
                _arrived = true;
                waiting.SetResult(new ReadResult(new ReadOnlySequence<byte>(bytes), isCanceled: false, isCompleted: true));
            }

            _cancelNext = true;
        }

        public override void AdvanceTo(SequencePosition consumed)
        {
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        private ReadResult Take()
        {
            var cancelled = _cancelNext;
            _cancelNext = false;
            return new ReadResult(new ReadOnlySequence<byte>(bytes), cancelled, isCompleted: true);
        }
    }
}
