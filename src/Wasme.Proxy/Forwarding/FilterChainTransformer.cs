using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Wasme.Proxy.Chain;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;
using Yarp.ReverseProxy.Forwarder;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Hooks the filter chain into YARP's forwarder: the response headers go through the filters before they reach
/// the client, the response body is read through them, and the (filtered) trailers are forwarded.
/// Request headers and body are filtered before the forwarder starts (see <see cref="ProxyRequestHandler"/>).
/// </summary>
internal sealed class FilterChainTransformer : HttpTransformer
{
    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public static FilterChainTransformer Instance { get; } = new();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        if (httpContext.Features.Get<EncodedRequestPath>() is { } encoded)
        {
            // Sent as normalized, query as the client sent it: Uri's own canonicalization would decode escapes
            // Envoy keeps (%41 in the query) and resolve dot segments again.
            proxyRequest.RequestUri = new Uri(destinationPrefix + encoded.Value + httpContext.Request.QueryString.Value, s_verbatim);
        }

        // Envoy forwards the client's Host (:authority) unless told otherwise; filters may have rewritten it.
        proxyRequest.Headers.Host = httpContext.Request.Host.Value;

        // Kestrel answered the client's 100-continue when the body was read, as Envoy answers it itself
        // (proxy_100_continue off) and strips it: passed on, HttpClient would hold the body up to a second for an
        // upstream that sends no 100 (curl adds it to every upload over 1 MiB).
        if (!StringValues.IsNullOrEmpty(httpContext.Request.Headers.Expect))
        {
            proxyRequest.Headers.Remove("Expect");
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copied = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is not null)
        {
            ConnectionHeaderSanitizer.RemoveNominated(proxyResponse, httpContext.Response);
        }

        DropContentLengthOfNoContent(httpContext.Response);
        var chain = httpContext.Features.Get<StreamFilterChain>();
        if (proxyResponse is null || chain is null || !copied)
        {
            return copied;
        }

        var stream = chain.Stream;
        stream.UpstreamStatusCode = (int)proxyResponse.StatusCode;
        var endOfStream = IsBodyless(httpContext, proxyResponse);
        if (chain.Config.Handles(HttpFilterCapabilities.ResponseHeaders))
        {
            var headers = stream.ResponseHeaders = HeaderCodec.ReadResponse(httpContext.Response);
            var read = headers.Version;
            if (!await chain.OnResponseHeadersAsync(endOfStream, cancellationToken))
            {
                // The handler sends the local reply once the forwarder returns.
                return false;
            }

            // Copied back only when a filter changed them: read-only filters cost no second copy.
            if (!ReferenceEquals(stream.ResponseHeaders, headers) || headers.Version != read)
            {
                HeaderCodec.ApplyResponse(stream.ResponseHeaders, httpContext.Response);
                DropContentLengthOfNoContent(httpContext.Response);
            }
        }

        // After a 101 the content is the upstream's end of a two-way tunnel that the forwarder writes the client's bytes
        // into; wrapping it for the body filters would make it read-only and break the upgrade (WebSocket). The tunnel's
        // bytes pass unfiltered.
        var upgraded = proxyResponse.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols;
        if (!endOfStream && !upgraded && chain.Config.Handles(HttpFilterCapabilities.ResponseBody | HttpFilterCapabilities.ResponseTrailers))
        {
            if (IsSmallWholeBody(proxyResponse, out var length))
            {
                return await FilterWholeBodyAsync(httpContext, proxyResponse, chain, length, cancellationToken);
            }

            // Filters may change the body's length, so the response is sent chunked. The filters keep the headers they saw.
            stream.ResponseHeaders.Detach();
            httpContext.Response.Headers.ContentLength = null;
            proxyResponse.Content = new FilteredResponseContent(proxyResponse, chain);
        }

        return true;
    }

    public override async ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        var chain = httpContext.Features.Get<StreamFilterChain>();
        if (chain is null || proxyResponse.Content is not FilteredResponseContent)
        {
            await base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
            return;
        }

        // The filtered trailers were collected while the body was read.
        if (!chain.Stream.HasResponseTrailers)
        {
            return;
        }

        var feature = httpContext.Features.Get<IHttpResponseTrailersFeature>();
        if (feature?.Trailers is { IsReadOnly: false } trailers)
        {
            foreach (var (name, value) in chain.Stream.ResponseTrailers)
            {
                trailers.Append(name, value);
            }
        }
    }

    // A body of known, small length arrives as one frame in Envoy too: the filters see it once with
    // end_of_stream, and the client gets an exact Content-Length instead of a chunked response.
    private const int WholeBodyLimit = 64 * 1024;

    // HTTP/1.x with a Content-Length cannot carry trailers, so reading to the end loses nothing.
    private static bool IsSmallWholeBody(HttpResponseMessage response, out int length)
    {
        var declared = response.Content.Headers.ContentLength;
        length = declared is > 0 and <= WholeBodyLimit ? (int)declared.Value : 0;
        return length > 0 && response.Version.Major == 1;
    }

    private static async ValueTask<bool> FilterWholeBodyAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, StreamFilterChain chain, int length, CancellationToken cancellationToken)
    {
        var body = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var upstream = proxyResponse.Content;
            await using (var source = await upstream.ReadAsStreamAsync(cancellationToken))
            {
                await source.ReadExactlyAsync(body.AsMemory(0, length), cancellationToken);
            }

            using var output = new BodyBuffer();
            if (!await chain.OnBodyAsync(StreamDirection.Response, body.AsMemory(0, length), endOfStream: true, output, cancellationToken))
            {
                return false;
            }

            // No content headers: the forwarder copied them to the client's response already, and reads only the body.
            var filtered = new ByteArrayContent(output.Span.ToArray());
            upstream.Dispose();
            proxyResponse.Content = filtered;
            chain.Stream.ResponseHeaders.Detach();
            httpContext.Response.ContentLength = output.Length;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    // A 204 has no body and must not carry Content-Length (RFC 9110 8.6); an upstream that sends one anyway would
    // make Kestrel fail the response with an unlogged 500. Envoy's codec drops the header the same way.
    private static void DropContentLengthOfNoContent(HttpResponse response)
    {
        if (response.StatusCode == StatusCodes.Status204NoContent)
        {
            response.Headers.ContentLength = null;
        }
    }

    private static bool IsBodyless(HttpContext httpContext, HttpResponseMessage response) =>
        HttpMethods.IsHead(httpContext.Request.Method)
        || response.StatusCode is System.Net.HttpStatusCode.NoContent or System.Net.HttpStatusCode.NotModified
        || response.Content.Headers.ContentLength == 0;
}
