namespace Wasme.ProxyWasm;

/// <summary>
/// Sends a filter's <c>proxy_http_call</c> to a named upstream (an Envoy cluster). The host validates
/// the call, awaits the response, and delivers it to the filter's root context.
/// </summary>
public interface IHttpCallDispatcher
{
    /// <summary>Whether <paramref name="cluster"/> names a known upstream; unknown ones are refused with BAD_ARGUMENT, as Envoy does.</summary>
    bool HasCluster(string cluster);

    /// <summary>Sends the call. Throwing, or cancellation by <paramref name="timeout"/>, reports a failed call (no headers) to the filter.</summary>
    Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>An outbound call as the filter asked for it. Headers include <c>:method</c>, <c>:path</c>, <c>:authority</c>.</summary>
public sealed record HttpCallRequest(string Cluster, HeaderMap Headers, ReadOnlyMemory<byte> Body, HeaderMap Trailers);

/// <summary>The upstream's answer. Headers include <c>:status</c>.</summary>
public sealed record HttpCallResponse(HeaderMap Headers, ReadOnlyMemory<byte> Body, HeaderMap Trailers);
