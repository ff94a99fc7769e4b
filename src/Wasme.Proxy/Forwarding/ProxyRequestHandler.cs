using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Chain;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Hosting;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;
using Yarp.ReverseProxy.Forwarder;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Handles one downstream request: runs the request headers through the filters, forwards the request with its
/// body read through the filters, and sends a filter's local reply when one asks for it.
/// </summary>
internal sealed partial class ProxyRequestHandler
{
    private static readonly ForwarderRequestConfig s_http11 = new()
    {
        ActivityTimeout = TimeSpan.FromSeconds(100),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    // An http:// upstream has no ALPN either: HTTP/2 to it is prior knowledge, exactly that version or a failure.
    private static readonly ForwarderRequestConfig s_h2c = new()
    {
        ActivityTimeout = TimeSpan.FromSeconds(100),
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private readonly ForwarderRequestConfig _requestConfig;

    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _client;
    private readonly string _upstream;
    private readonly FilterChain _chain;
    private readonly ProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ProxyRoute _route;
    private readonly bool _acceptHttp10;

    public ProxyRequestHandler(IHttpForwarder forwarder, HttpMessageInvoker client, Uri upstream, FilterChain chain, ProxyMetrics metrics, ILogger logger, ProxyRoute route, bool h2c = false, bool acceptHttp10 = false)
    {
        _acceptHttp10 = acceptHttp10;
        _requestConfig = h2c ? s_h2c : s_http11;
        _route = route;
        _forwarder = forwarder;
        _client = client;
        _upstream = upstream.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _chain = chain;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        _metrics.RequestStarted();
        var verdict = RequestHeaderScan.Scan(context.Request);
        if (verdict == RequestHeaderVerdict.TooLarge)
        {
            LogHeadersTooLarge(_logger);
            await RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request Header Fields Too Large");
            return;
        }

        if (verdict == RequestHeaderVerdict.ControlCharacter)
        {
            LogHeaderValueRefused(_logger);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Bad Request");
            return;
        }

        if (!EnvoyMethods.IsKnown(context.Request))
        {
            LogMethodRefused(_logger);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Bad Request");
            return;
        }

        if (HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            // Envoy's connection manager answers HTTP/1.0 with 426 unless accept_http_10 is set, and one without Host
            // with 400 even then (default_host_for_http_10 unset); no filter runs.
            if (!_acceptHttp10 || !context.Request.Host.HasValue)
            {
                LogHttp10Refused(_logger, _acceptHttp10);
                await RefuseAsync(context, _acceptHttp10 ? StatusCodes.Status400BadRequest : StatusCodes.Status426UpgradeRequired, string.Empty);
                return;
            }
        }

        if (!ConnectionHeaderSanitizer.TrySanitize(context.Request))
        {
            // Refused before any filter sees it, as Envoy's codec refuses it; the connection is not reused.
            LogConnectionHeaderRefused(_logger, context.Request.Headers.Connection);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Bad Request");
            return;
        }

        if (HttpMethods.IsConnect(context.Request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            // Envoy tunnels CONNECT only on a route configured for it and refuses it otherwise (403, upgrade_failed);
            // the forwarder cannot send one at all.
            LogConnectRefused(_logger);
            await RefuseAsync(context, StatusCodes.Status403Forbidden, string.Empty);
            return;
        }

        if (TransferCodings.HasLengthAndChunked(context.Request))
        {
            LogLengthAndChunkedRefused(_logger);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Bad Request");
            return;
        }

        if (!TransferCodings.AreSupported(context.Request))
        {
            LogTransferEncodingRefused(_logger, context.Request.Headers.TransferEncoding);
            await RefuseAsync(context, StatusCodes.Status501NotImplemented, "Not Implemented");
            return;
        }

        // The body's framing is Kestrel's business from here: filters see no Transfer-Encoding, as in Envoy.
        context.Request.Headers.Remove("Transfer-Encoding");
        if (!RequestTargets.TryNormalize(context))
        {
            // Envoy's path normalization refuses it before any filter (a NUL in the path).
            LogPathRefused(_logger);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Bad Request");
            return;
        }

        var cancellationToken = context.RequestAborted;
        var stream = new HttpExchange(context, _chain.TimeProvider.GetUtcNow(), _route);
        using var chain = new StreamFilterChain(_chain, stream, _metrics, _logger);
        context.Features.Set(chain);
        try
        {
            var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? false;
            await ExpectContinue.AnswerAsync(context.Request, hasBody);
            if (!await chain.OnRequestHeadersAsync(endOfStream: !hasBody, cancellationToken))
            {
                await SendLocalReplyAsync(chain, runResponseFilters: true);
                return;
            }

            if (stream.RequestHeaders.Version != stream.RequestHeadersReadVersion)
            {
                HeaderCodec.ApplyRequest(stream.RequestHeaders, context.Request);
            }

            if (hasBody && _chain.Handles(HttpFilterCapabilities.RequestBody | HttpFilterCapabilities.RequestTrailers))
            {
                if (IsSmallWholeBody(context.Request, out var length))
                {
                    // Envoy forwards the Content-Length the filters left in the headers; a body of known, small length
                    // is filtered whole first, so the length sent is exact whether or not a filter changed the body.
                    if (!await FilterWholeRequestBodyAsync(context, chain, length, cancellationToken))
                    {
                        await SendLocalReplyAsync(chain, runResponseFilters: true);
                        return;
                    }
                }
                else
                {
                    // Streamed through the filters, which may change its length: forwarded chunked. The filters keep
                    // the headers they saw.
                    stream.RequestHeaders.Detach();
                    context.Request.Headers.ContentLength = null;
                    context.Request.Body = new FilteredBodyStream(context.Request.Body, chain, StreamDirection.Request, () => CollectRequestTrailers(context, stream));
                }
            }

            var error = await _forwarder.SendAsync(context, _upstream, _client, _requestConfig, FilterChainTransformer.Instance, cancellationToken);
            if (stream.LocalResponse is not null)
            {
                await SendLocalReplyAsync(chain, runResponseFilters: stream.UpstreamStatusCode == 0);
                return;
            }

            if (error != ForwarderError.None && UpstreamFailureReply.CausedByClient(error))
            {
                // YARP has answered what can still be answered (408 for a body too slow, 400 for one cut short).
                LogClientEnded(_logger, error, context.GetForwarderErrorFeature()?.Exception?.Message ?? string.Empty);
            }
            else if (error != ForwarderError.None)
            {
                _metrics.UpstreamFailed();
                var exception = context.GetForwarderErrorFeature()?.Exception;
                LogUpstreamFailed(_logger, error, _upstream, exception?.Message ?? string.Empty);

                if (stream.UpstreamStatusCode != 0)
                {
                    // The upstream's headers had arrived (a body cut short): Envoy's router resets the client's stream
                    // then, even when a filter held the response back, rather than saying it failed before its headers.
                    context.Abort();
                }
                // Envoy's router answers a failed upstream with a local reply the encoder filters see; YARP would
                // leave an empty 502 that no filter ran on.
                else if (!context.Response.HasStarted && UpstreamFailureReply.For(error, exception) is { } reply)
                {
                    stream.SendLocalResponse(reply);
                    await SendLocalReplyAsync(chain, runResponseFilters: stream.UpstreamStatusCode == 0);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel refused what the client sent while a body was read (cut short: 400, too slow: 408). The client's
            // fault, not the data plane's: answer Kestrel's status, as Kestrel does for the requests it reads itself.
            LogClientEnded(_logger, ForwarderError.RequestBodyClient, ex.Message);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = ex.StatusCode;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A fault in the data plane itself: Kestrel would answer 500 and log nowhere (the host has no logging
            // providers), so say what happened before answering.
            LogRequestFailed(_logger, context.Request.Method, context.Request.Path.Value ?? "/", ex);
            if (context.Response.HasStarted)
            {
                context.Abort();
            }
            else
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
        }
    }

    private async Task SendLocalReplyAsync(StreamFilterChain chain, bool runResponseFilters)
    {
        var context = chain.Stream.Context;
        var stream = chain.Stream;
        var reply = stream.LocalResponse!;
        if (context.Response.HasStarted || stream.IsClosed)
        {
            // Too late to replace the response: reset the stream as Envoy does.
            context.Abort();
            return;
        }

        _metrics.LocalReplySent();
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            // A filter chose the details: shown escaped, so they cannot forge log lines.
            var details = GuestLogText.Show(reply.Details, 256);
            LogLocalReply(_logger, reply.StatusCode, details);
        }
        var response = context.Response;
        response.Clear();
        response.StatusCode = reply.StatusCode;
        foreach (var (name, value) in reply.Headers)
        {
            if (name.Length > 0 && name[0] != ':')
            {
                response.Headers.Append(name, value);
            }
        }

        if (!reply.Body.IsEmpty && !response.Headers.ContainsKey("content-type"))
        {
            response.ContentType = "text/plain";
        }

        response.ContentLength = reply.Body.Length;
        if (runResponseFilters && _chain.Handles(HttpFilterCapabilities.ResponseHeaders))
        {
            stream.ResponseHeaders = HeaderCodec.ReadResponse(response);
            chain.OnLocalReplyHeaders(endOfStream: reply.Body.IsEmpty);
            HeaderCodec.ApplyResponse(stream.ResponseHeaders, response);
        }

        var body = reply.Body;
        if (runResponseFilters && !body.IsEmpty && _chain.Handles(HttpFilterCapabilities.ResponseBody))
        {
            // Envoy encodes a local reply's body through the filters too; they may rewrite it.
            body = chain.OnLocalReplyBody(body);
            stream.ResponseHeaders.Detach();
            response.ContentLength = body.Length;
        }

        if (!body.IsEmpty)
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    // As for responses (FilterChainTransformer): HTTP/1.x with a Content-Length carries no trailers, so reading it
    // to the end loses nothing. Longer bodies stream.
    private const int WholeBodyLimit = 64 * 1024;

    private static bool IsSmallWholeBody(HttpRequest request, out int length)
    {
        var declared = request.ContentLength;
        length = declared is > 0 and <= WholeBodyLimit ? (int)declared.Value : 0;
        return length > 0 && (HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol));
    }

    private static async Task<bool> FilterWholeRequestBodyAsync(HttpContext context, StreamFilterChain chain, int length, CancellationToken cancellationToken)
    {
        var body = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await context.Request.Body.ReadExactlyAsync(body.AsMemory(0, length), cancellationToken);
            using var output = new BodyBuffer();
            if (!await chain.OnBodyAsync(StreamDirection.Request, body.AsMemory(0, length), endOfStream: true, output, cancellationToken))
            {
                return false;
            }

            context.Request.Body = new MemoryStream(output.Span.ToArray(), writable: false);
            chain.Stream.RequestHeaders.Detach();
            context.Request.ContentLength = output.Length;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private static bool CollectRequestTrailers(HttpContext context, HttpExchange stream)
    {
        var feature = context.Features.Get<IHttpRequestTrailersFeature>();
        if (feature is not { Available: true } || feature.Trailers.Count == 0)
        {
            return false;
        }

        HeaderCodec.AddAll(stream.RequestTrailers, feature.Trailers);

        return true;
    }

    // A protocol error answered before any filter sees the request, as Envoy's codec answers it: the status text as the
    // body, and the connection is not reused.
    private static async Task RefuseAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentLength = text.Length;
        context.Response.Headers.Connection = "close";
        if (text.Length > 0)
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(text, context.RequestAborted);
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Forwarding to {Upstream} failed: {Error} {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, ForwarderError error, string upstream, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "{Method} {Path} failed inside wasme's data plane; answered 500")]
    private static partial void LogRequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Refused a request whose Connection header names too many headers, X-Forwarded-* or a pseudo header (answered 400): {Connection}")]
    private static partial void LogConnectionHeaderRefused(ILogger logger, Microsoft.Extensions.Primitives.StringValues connection);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Refused a request with a transfer coding other than chunked (answered 501): {TransferEncoding}")]
    private static partial void LogTransferEncodingRefused(ILogger logger, Microsoft.Extensions.Primitives.StringValues transferEncoding);

    [LoggerMessage(EventId = 16, Level = LogLevel.Debug, Message = "Refused a request with both Content-Length and Transfer-Encoding (answered 400), as Envoy does")]
    private static partial void LogLengthAndChunkedRefused(ILogger logger);

    [LoggerMessage(EventId = 17, Level = LogLevel.Debug, Message = "Refused a CONNECT request (answered 403): no route tunnels CONNECT, as in Envoy without upgrade_configs")]
    private static partial void LogConnectRefused(ILogger logger);

    [LoggerMessage(EventId = 18, Level = LogLevel.Debug, Message = "Refused an HTTP/1.0 request (accepting HTTP/1.0: {Accepted}): 426 without --accept-http-10, else 400 without Host, as Envoy does")]
    private static partial void LogHttp10Refused(ILogger logger, bool accepted);

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "Refused a request with a control character in a header value (answered 400), as Envoy's codec refuses it")]
    private static partial void LogHeaderValueRefused(ILogger logger);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Refused a request whose method Envoy's HTTP/1 codec does not take (answered 400)")]
    private static partial void LogMethodRefused(ILogger logger);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Refused a request whose target and headers pass Envoy's 60 KiB (answered 431)")]
    private static partial void LogHeadersTooLarge(ILogger logger);

    [LoggerMessage(EventId = 19, Level = LogLevel.Debug, Message = "Refused a request whose path Envoy's path normalization refuses (answered 400)")]
    private static partial void LogPathRefused(ILogger logger);

    [LoggerMessage(EventId = 15, Level = LogLevel.Debug, Message = "The client ended the request before it was done ({Error}): {Reason}")]
    private static partial void LogClientEnded(ILogger logger, ForwarderError error, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Local reply {StatusCode}: {Details}")]
    private static partial void LogLocalReply(ILogger logger, int statusCode, string details);
}
