using Microsoft.AspNetCore.Http;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// HTTP/1.1 request bodies may only be <c>chunked</c>, as Envoy's codec takes them (501 for anything else, and for a
/// CONNECT with a body). Kestrel accepts <c>Transfer-Encoding: gzip, chunked</c> and removes only the chunking, so the
/// upstream would get compressed bytes with nothing saying so.
/// </summary>
internal static class TransferCodings
{
    /// <summary>The name Kestrel moves a request's Content-Length to when the request also says Transfer-Encoding.</summary>
    private const string MovedContentLength = "X-Content-Length";

    /// <summary>False when the request must be refused with 501.</summary>
    public static bool AreSupported(HttpRequest request)
    {
        var transferEncoding = request.Headers.TransferEncoding;
        if (transferEncoding.Count == 0)
        {
            return true;
        }

        return transferEncoding.Count == 1
            && string.Equals(transferEncoding[0]?.Trim(), "chunked", StringComparison.OrdinalIgnoreCase)
            && !HttpMethods.IsConnect(request.Method);
    }

    /// <summary>
    /// True when the request came with both Content-Length and Transfer-Encoding, the shape of request smuggling: Envoy
    /// refuses it with 400 (<c>allow_chunked_length</c> off). Kestrel instead reads the body as chunked and renames the
    /// length to <c>X-Content-Length</c>, which the filters and the upstream would then get.
    /// </summary>
    public static bool HasLengthAndChunked(HttpRequest request) =>
        request.Headers.TransferEncoding.Count > 0 && request.Headers.ContainsKey(MovedContentLength);
}
