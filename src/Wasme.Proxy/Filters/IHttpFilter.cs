using Wasme.Proxy.Streams;

namespace Wasme.Proxy.Filters;

/// <summary>
/// One filter's state for one HTTP stream. The chain calls it in the order Envoy does: request headers, request
/// body chunks, request trailers, then the same for the response, then <see cref="OnStreamDone"/>. Calls for one
/// stream never overlap. A callback that throws fails the stream according to the filter's failure policy.
/// </summary>
public interface IHttpFilter
{
    FilterStatus OnRequestHeaders(HttpExchange stream, bool endOfStream);

    /// <param name="stream">The stream; its <see cref="HttpExchange.RequestBody"/> holds the data buffered for this filter.</param>
    /// <param name="bufferedLength">How many bytes are buffered for this filter now.</param>
    /// <param name="endOfStream">True when no more request data will come.</param>
    FilterStatus OnRequestBody(HttpExchange stream, int bufferedLength, bool endOfStream);

    FilterStatus OnRequestTrailers(HttpExchange stream);

    FilterStatus OnResponseHeaders(HttpExchange stream, bool endOfStream);

    FilterStatus OnResponseBody(HttpExchange stream, int bufferedLength, bool endOfStream);

    FilterStatus OnResponseTrailers(HttpExchange stream);

    /// <summary>The stream is over (completed, replied locally or aborted): log, then release per-stream state.</summary>
    void OnStreamDone(HttpExchange stream);
}
