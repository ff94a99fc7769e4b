namespace Wasme.ProxyWasm;

/// <summary>
/// The filter's view of one HTTP stream. Call the callbacks in stream order; the maps and buffers passed
/// in stay attached to the stream (the filter may read or change them later, for example after an
/// <c>http_call</c> completes) until replaced or the stream ends. Call <see cref="OnDone"/> when the stream
/// finishes, then dispose. Never throws for guest failures: the plugin's failure policy decides the
/// returned status (fail closed sends a 503 through <see cref="IStreamHost.SendLocalResponse"/>).
/// </summary>
public sealed class HttpStreamContext : IDisposable
{
    internal HttpStreamContext()
    {
    }

    /// <summary>The filter is skipped for this stream (fail open after a VM failure).</summary>
    public bool IsBypassed => throw new NotImplementedException();

    /// <summary>The filter (or the failure policy) sent a local response on this stream.</summary>
    public bool LocalResponseSent => throw new NotImplementedException();

    public FilterHeadersStatus OnRequestHeaders(HeaderMap headers, bool endOfStream) => throw new NotImplementedException();

    public FilterDataStatus OnRequestBody(BodyBuffer body, bool endOfStream) => throw new NotImplementedException();

    public FilterTrailersStatus OnRequestTrailers(HeaderMap trailers) => throw new NotImplementedException();

    public FilterHeadersStatus OnResponseHeaders(HeaderMap headers, bool endOfStream) => throw new NotImplementedException();

    public FilterDataStatus OnResponseBody(BodyBuffer body, bool endOfStream) => throw new NotImplementedException();

    public FilterTrailersStatus OnResponseTrailers(HeaderMap trailers) => throw new NotImplementedException();

    /// <summary>The stream is complete (or reset): runs <c>proxy_on_done</c> then <c>proxy_on_log</c>.</summary>
    public void OnDone() => throw new NotImplementedException();

    /// <summary>Runs <c>proxy_on_delete</c> and forgets the stream.</summary>
    public void Dispose()
    {
    }
}
