using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Upstreams;

/// <summary>
/// One gRPC call over HTTP/2: request messages framed as they are queued, the response read frame by frame, and the
/// outcome mapped to a gRPC status the way Envoy's gRPC client maps it (non-200 responses per the HTTP-to-gRPC table,
/// a missing status as UNKNOWN, compressed or truncated frames as INTERNAL, its own timeout as DEADLINE_EXCEEDED).
/// </summary>
internal sealed class GrpcUpstreamCall : IGrpcCall, IDisposable
{
    private readonly Channel<GrpcCallEvent> _events = Channel.CreateUnbounded<GrpcCallEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Channel<ReadOnlyMemory<byte>> _outbound = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cancelled = new();
    private readonly HttpMessageInvoker _client;
    private readonly Uri _baseUri;
    private readonly GrpcCallRequest _request;
    private readonly int _maxMessageBytes;
    private readonly TimeProvider _time;

    public GrpcUpstreamCall(HttpMessageInvoker client, Uri baseUri, GrpcCallRequest request, int maxMessageBytes, TimeProvider time)
    {
        _client = client;
        _baseUri = baseUri;
        _request = request;
        _maxMessageBytes = maxMessageBytes;
        _time = time;
    }

    public ChannelReader<GrpcCallEvent> Events => _events.Reader;

    public bool TrySend(ReadOnlyMemory<byte> message) => _outbound.Writer.TryWrite(message);

    public void CloseSend() => _outbound.Writer.TryComplete();

    public void Cancel()
    {
        _outbound.Writer.TryComplete();
        try
        {
            _cancelled.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call already ended.
        }
    }

    public void Start() => _ = Task.Run(RunAsync, CancellationToken.None);

    private async Task RunAsync()
    {
        using var deadline = _request.Timeout > TimeSpan.Zero ? new CancellationTokenSource(_request.Timeout, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancelled.Token, deadline.Token);
        var token = linked.Token;
        try
        {
            using var message = CreateRequest();
            using var response = await _client.SendAsync(message, token).ConfigureAwait(false);
            await ReadResponseAsync(response, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_cancelled.IsCancellationRequested)
        {
            // Cancelled by the filter: nothing more is reported.
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Close(GrpcStatusCode.DeadlineExceeded, "upstream request timeout");
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            Close(GrpcStatusCode.Unavailable, "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: " + ex.Message);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // A reset stream or connection mid-call: Envoy's gRPC client reports INTERNAL.
            Close(GrpcStatusCode.Internal, ex.Message);
        }
        finally
        {
            _outbound.Writer.TryComplete();
            _events.Writer.TryComplete();
            Dispose();
        }
    }

    /// <summary>Called when the call ends; a later <see cref="Cancel"/> does nothing.</summary>
    public void Dispose() => _cancelled.Dispose();

    private HttpRequestMessage CreateRequest()
    {
        var path = "/" + _request.Service + "/" + _request.Method;
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUri, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new FramedMessages(_outbound.Reader),
        };
        message.Headers.Host = _request.Authority;
        message.Headers.TryAddWithoutValidation("te", "trailers");
        if (_request.Timeout > TimeSpan.Zero)
        {
            message.Headers.TryAddWithoutValidation("grpc-timeout", GrpcTimeout(_request.Timeout));
        }

        message.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        foreach (var (name, value) in _request.InitialMetadata)
        {
            if (name.Length == 0 || name[0] == ':' || name is "host" or "te" or "content-type" or "content-length" or "grpc-timeout")
            {
                continue;
            }

            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    private async Task ReadResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var headers = ResponseHeaders.Read(response);
        var grpcStatus = headers.TryGetValue("grpc-status", out var statusText) ? ParseStatus(statusText) : (int?)null;
        if (response.StatusCode != HttpStatusCode.OK || grpcStatus is not null)
        {
            // A trailers-only reply: Envoy hands on empty initial metadata, then the headers as trailers.
            if (grpcStatus is { } status)
            {
                Emit(new GrpcInitialMetadataReceived(new HeaderMap()));
                Emit(new GrpcTrailingMetadataReceived(headers));
                Close(status, Message(headers));
                return;
            }

            Emit(new GrpcInitialMetadataReceived(headers));
            Close(HttpToGrpcStatus((int)response.StatusCode), string.Empty);
            return;
        }

        Emit(new GrpcInitialMetadataReceived(headers));
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var header = new byte[5];
        while (true)
        {
            var read = await body.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            if (read < header.Length)
            {
                Close(GrpcStatusCode.Internal, "truncated gRPC frame");
                return;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
            if (length > 0 && header[0] != 0)
            {
                // No grpc-accept-encoding was offered, so a compressed frame is a protocol error, as Envoy treats it.
                Close(GrpcStatusCode.Internal, "compressed gRPC frame");
                return;
            }

            if (length > (uint)_maxMessageBytes)
            {
                Close(GrpcStatusCode.ResourceExhausted, $"gRPC message of {length} bytes exceeds the limit of {_maxMessageBytes}");
                return;
            }

            var payload = new byte[length];
            if (await body.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < payload.Length)
            {
                Close(GrpcStatusCode.Internal, "truncated gRPC frame");
                return;
            }

            Emit(new GrpcMessageReceived(payload));
        }

        var trailers = ResponseHeaders.ReadTrailers(response);
        if (trailers.Count == 0)
        {
            // The stream ended without trailers, so without a status.
            Close(GrpcStatusCode.Unknown, string.Empty);
            return;
        }

        Emit(new GrpcTrailingMetadataReceived(trailers));
        Close(trailers.TryGetValue("grpc-status", out var final) ? ParseStatus(final) : GrpcStatusCode.Unknown, Message(trailers));
    }

    private void Emit(GrpcCallEvent received) => _events.Writer.TryWrite(received);

    private void Close(int status, string message) => Emit(new GrpcClosed(status, message));

    private static int ParseStatus(string text)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : GrpcStatusCode.Unknown;

    // grpc-message is percent-encoded on the wire; Envoy decodes it.
    private static string Message(HeaderMap map) => map.TryGetValue("grpc-message", out var text) ? Uri.UnescapeDataString(text) : string.Empty;

    // https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md, as Envoy applies it.
    private static int HttpToGrpcStatus(int status) => status switch
    {
        400 => GrpcStatusCode.Internal,
        401 => GrpcStatusCode.Unauthenticated,
        403 => GrpcStatusCode.PermissionDenied,
        404 => GrpcStatusCode.Unimplemented,
        429 or 502 or 503 or 504 => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };

    // Envoy's form: the largest unit that keeps the value within 8 digits, starting from milliseconds.
    internal static string GrpcTimeout(TimeSpan timeout)
    {
        const ulong max = 99_999_999;
        var value = (ulong)timeout.TotalMilliseconds;
        var units = "mSMH";
        var unit = 0;
        if (value > max)
        {
            value /= 1000;
            unit++;
        }

        while (value > max)
        {
            if (unit == 3)
            {
                value = max;
                break;
            }

            value /= 60;
            unit++;
        }

        return value.ToString(CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>The request body: each queued message with its 5-byte gRPC frame header, flushed as it goes.</summary>
    private sealed class FramedMessages(ChannelReader<ReadOnlyMemory<byte>> messages) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var header = new byte[5];
            await foreach (var message in messages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                header[0] = 0;
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)message.Length);
                await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
