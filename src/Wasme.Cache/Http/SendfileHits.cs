using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Wasme.Cache.Http;

/// <summary>
/// Kestrel connection middleware that answers module hits with sendfile(2), as nginx does: the kernel sends the verified
/// file's pages, where Kestrel would copy them into its output pipe and again into the socket (most of a hit's CPU).
/// It serves, in order, the requests at the head of a connection that <see cref="HitRequest"/> recognises and that name
/// a held module; at the first other request it leaves that request unread and hands the connection to Kestrel's
/// HTTP/1.1 for good, so every other request, error and limit is Kestrel's, unchanged. While it owns the connection
/// it applies Kestrel's keep-alive timeout between requests and its minimum response rate to each send.
/// </summary>
internal sealed class SendfileHits(CacheServices services, TimeSpan keepAliveTimeout, MinDataRate? minResponseRate)
{
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        // sendfile writes to the socket itself: only on a plain connection (over TLS it would bypass the encryption).
        if (connection.Features.Get<ITlsHandshakeFeature>() is not null
            || connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket
            || await ServeHitsAsync(connection, socket))
        {
            await next(connection);
        }
    }

    /// <summary>Serves hits until the connection ends (false) or a request is not one (true: hand over, that request unread).</summary>
    private async Task<bool> ServeHitsAsync(ConnectionContext connection, Socket socket)
    {
        var input = connection.Transport.Input;
        // Fires on the keep-alive or send deadline: the connection is dropped, as Kestrel drops it.
        using var deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, services.TimeProvider);
        using var abortOnDeadline = deadline.Token.UnsafeRegister(
            static state => ((ConnectionContext)state!).Abort(new ConnectionAbortedException("The client was idle or read too slowly.")), connection);
        // Server shutdown: finish the response being sent, then close instead of reading the next request.
        using var closeOnShutdown = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), input);
        using var send = new SendPackets();

        while (true)
        {
            deadline.CancelAfter(keepAliveTimeout);
            ReadResult result;
            try
            {
                result = await input.ReadAsync(deadline.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ConnectionAbortedException or IOException)
            {
                return false;
            }

            var buffer = result.Buffer;
            if (result.IsCanceled || (result.IsCompleted && buffer.IsEmpty))
            {
                input.AdvanceTo(buffer.End);
                return false;
            }

            var content = HitRequest.TryParse(buffer, out var digest, out var headLength) ? services.Directory.TryOpenContent(digest) : null;
            if (content is null)
            {
                // Unread: Kestrel parses this request from its first byte (the registrations above end before it starts).
                input.AdvanceTo(buffer.Start);
                return true;
            }

            input.AdvanceTo(buffer.GetPosition(headLength));
            using (content)
            {
                services.Metrics.RecordHit();
                services.Directory.Touch(digest);
                deadline.CancelAfter(SendAllowance(content.Memory.Length));
                try
                {
                    await send.SendAsync(socket, ResponseHead(digest, content.Memory.Length), content);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
                {
                    // The client went away (or the deadline aborted it).
                    return false;
                }
            }
        }
    }

    private TimeSpan SendAllowance(int bytes) => SendAllowance(bytes, minResponseRate);

    // The longest delay a timer takes (about 49.7 days); a module of about 1 GiB at Kestrel's 240 bytes/s needs more, and
    // CancelAfter throws on a longer one, which dropped every hit of such a module.
    internal static readonly TimeSpan MaxSendAllowance = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    internal static TimeSpan SendAllowance(int bytes, MinDataRate? minResponseRate)
    {
        if (minResponseRate is null)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var seconds = minResponseRate.GracePeriod.TotalSeconds + (bytes / minResponseRate.BytesPerSecond);
        return seconds < MaxSendAllowance.TotalSeconds ? TimeSpan.FromSeconds(seconds) : MaxSendAllowance;
    }

    private byte[] ResponseHead(ModuleDigest digest, int length) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 200 OK\r\nContent-Length: {length.ToString(CultureInfo.InvariantCulture)}\r\nContent-Type: {CacheEndpoints.WasmContentType}\r\n" +
        $"Date: {HttpDate()}\r\nCache-Control: {CacheEndpoints.ImmutableCacheControl}\r\nETag: \"sha256:{digest.Hex}\"\r\n\r\n");

    private string? _date;
    private long _dateSecond;

    // One formatting per second (per connection), like Kestrel's date header cache.
    private string HttpDate()
    {
        var now = services.TimeProvider.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        if (_date is null || second != _dateSecond)
        {
            _date = now.ToString("r", CultureInfo.InvariantCulture);
            _dateSecond = second;
        }

        return _date;
    }

    /// <summary>Head bytes, then the file by sendfile from the lease's open handle (explicit offsets: leases share it).</summary>
    private sealed class SendPackets : IDisposable
    {
        private readonly SocketAsyncEventArgs _args = new();
        private TaskCompletionSource? _completion;

        public SendPackets() => _args.Completed += (_, e) => Complete(e);

        public Task SendAsync(Socket socket, byte[] head, Storage.ModuleContent content)
        {
            _completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _args.SendPacketsElements =
            [
                new SendPacketsElement(head),
                new SendPacketsElement(content.File, 0, content.Memory.Length, endOfPacket: true),
            ];
            if (!socket.SendPacketsAsync(_args))
            {
                Complete(_args);
            }

            return _completion.Task;
        }

        private void Complete(SocketAsyncEventArgs e)
        {
            _args.SendPacketsElements = null;
            if (e.SocketError == SocketError.Success)
            {
                _completion!.TrySetResult();
            }
            else
            {
                _completion!.TrySetException(new SocketException((int)e.SocketError));
            }
        }

        public void Dispose() => _args.Dispose();
    }
}
