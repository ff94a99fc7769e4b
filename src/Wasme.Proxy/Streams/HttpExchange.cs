using System.Text;
using Microsoft.AspNetCore.Http;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Streams;

/// <summary>
/// One HTTP stream as the filters see it: its header maps, the body data held for the filter being called, the
/// trailers, and what a filter may do to the stream from outside a callback (<see cref="ContinueStream"/>,
/// <see cref="SendLocalResponse(LocalResponse)"/>, <see cref="CloseStream"/>), from any thread. It is the Proxy-Wasm host's
/// <see cref="IStreamHost"/> for the stream.
/// </summary>
public sealed class HttpExchange : IStreamHost
{
    private static long s_nextId;
    private static readonly BodyBuffer s_noBody = new();

    private readonly Lock _gate = new();
    private TaskCompletionSource? _resume;
    private bool _resumeRequested;
    private LocalResponse? _localResponse;
    private HeaderMap? _responseHeaders;
    private HeaderMap? _requestTrailers;
    private HeaderMap? _responseTrailers;

    public HttpExchange(HttpContext context, DateTimeOffset startTime, Hosting.ProxyRoute? route = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        Id = Interlocked.Increment(ref s_nextId);
        var connection = context.Connection;
        Info = new StreamInfo
        {
            SourceAddress = connection.RemoteIpAddress?.ToString(),
            SourcePort = connection.RemotePort,
            DestinationAddress = connection.LocalIpAddress?.ToString(),
            DestinationPort = connection.LocalPort,
            Protocol = context.Request.Protocol,
            IsTls = context.Request.IsHttps,
            ConnectionId = (uint)connection.Id.GetHashCode(StringComparison.Ordinal),
            StartTime = startTime,
            ClusterName = "upstream",
            RouteName = (route ?? Hosting.ProxyRoute.Default).Name,
            RouteMetadata = (route ?? Hosting.ProxyRoute.Default).Metadata,
        };
        var headers = context.Request.Headers;
        if (headers.TryGetValue("x-request-id", out var requestId) && requestId.Count > 0)
        {
            Info.RequestId = requestId[0] ?? string.Empty;
        }
        else
        {
            // Envoy gives every request an id and forwards it.
            Info.RequestId = RequestIds.Next();
            headers["x-request-id"] = Info.RequestId;
        }

        if (!headers.ContainsKey("x-forwarded-proto"))
        {
            // Envoy's connection manager sets it, before any filter runs, when the client did not.
            headers["x-forwarded-proto"] = context.Request.IsHttps ? "https" : "http";
        }

        // The map reads the request's headers in place: when no filter changes it, nothing is copied either way.
        RequestHeaders = HeaderCodec.ReadRequest(context.Request);
        RequestHeadersReadVersion = RequestHeaders.Version;
    }

    /// <summary><see cref="HeaderMap.Version"/> of <see cref="RequestHeaders"/> when it last matched the request's own headers.</summary>
    internal long RequestHeadersReadVersion { get; }

    /// <summary>Process-wide unique stream id.</summary>
    public long Id { get; }

    public HttpContext Context { get; }

    public StreamInfo Info { get; }

    /// <summary>Request headers with pseudo headers; written back to the request before it is forwarded.</summary>
    public HeaderMap RequestHeaders { get; }

    /// <summary>Response headers with <c>:status</c>; read from the upstream's response (or the local reply).</summary>
    public HeaderMap ResponseHeaders
    {
        get => _responseHeaders ??= new HeaderMap();
        internal set => _responseHeaders = value;
    }

    /// <summary>Request trailers; empty unless the client sent some.</summary>
    public HeaderMap RequestTrailers => _requestTrailers ??= new HeaderMap();

    /// <summary>Response trailers from the upstream, as filters left them; forwarded when the client's protocol allows.</summary>
    public HeaderMap ResponseTrailers => _responseTrailers ??= new HeaderMap();

    internal bool HasResponseTrailers => _responseTrailers is { Count: > 0 };

    /// <summary>Request body data held for the filter being called (its view of the body so far).</summary>
    public BodyBuffer RequestBody { get; internal set; } = s_noBody;

    /// <summary>Response body data held for the filter being called.</summary>
    public BodyBuffer ResponseBody { get; internal set; } = s_noBody;

    /// <summary>The upstream's status code once its response headers arrived; 0 before.</summary>
    public int UpstreamStatusCode { get; internal set; }

    /// <summary>The local reply a filter asked for, if any.</summary>
    public LocalResponse? LocalResponse
    {
        get
        {
            lock (_gate)
            {
                return _localResponse;
            }
        }
    }

    /// <summary>True once a filter reset the stream.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Which half of the stream is being processed now.</summary>
    public StreamDirection Phase { get; internal set; }

    /// <summary>Continues the stream where a filter stopped it (Proxy-Wasm continue_stream).</summary>
    public void ContinueStream(StreamType direction)
    {
        if ((direction == StreamType.HttpRequest && Phase != StreamDirection.Request)
            || (direction == StreamType.HttpResponse && Phase != StreamDirection.Response))
        {
            return;
        }

        Resume();
    }

    /// <summary>
    /// Answers the stream from the proxy (Proxy-Wasm send_local_response). The first reply wins; once the response
    /// has started towards the client the stream is reset instead.
    /// </summary>
    public void SendLocalResponse(LocalResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        lock (_gate)
        {
            _localResponse ??= response;
        }

        Resume();
    }

    /// <summary>Convenience for C# filters: a plain-text local reply.</summary>
    public void SendLocalResponse(int statusCode, string body, string details) =>
        SendLocalResponse(new LocalResponse(statusCode, details, Encoding.UTF8.GetBytes(body), new HeaderMap()));

    /// <summary>Resets the stream (Proxy-Wasm close_stream): the client's connection is aborted.</summary>
    public void CloseStream(StreamType direction)
    {
        IsClosed = true;
        Context.Abort();
        Resume();
    }

    internal void Resume()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _resume;
            _resume = null;
            _resumeRequested = waiter is null;
        }

        waiter?.TrySetResult();
    }

    internal void ClearResumeRequest()
    {
        lock (_gate)
        {
            _resumeRequested = false;
        }
    }

    /// <summary>
    /// Waits for a resume, a local reply or a reset, unless one already happened.
    /// </summary>
    /// <exception cref="TimeoutException">None came within <paramref name="timeout"/>.</exception>
    internal Task WaitForResumeAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_resumeRequested || _localResponse is not null || IsClosed)
            {
                _resumeRequested = false;
                return Task.CompletedTask;
            }

            _resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _resume.Task.WaitAsync(timeout, timeProvider, cancellationToken);
        }
    }

    /// <summary>Replaces any earlier local reply (a filter failed closed after another filter replied).</summary>
    internal void ForceLocalResponse(LocalResponse response)
    {
        lock (_gate)
        {
            _localResponse = response;
        }

        Resume();
    }
}
