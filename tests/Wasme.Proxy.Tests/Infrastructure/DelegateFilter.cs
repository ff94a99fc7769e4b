using Wasme.Proxy.Filters;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>A C# filter whose callbacks are lambdas, for testing the chain's plumbing without a Wasm VM.</summary>
public sealed class DelegateFilter : IHttpFilterFactory, IHttpFilter
{
    public DelegateFilter(string name, FailurePolicy failurePolicy = FailurePolicy.FailClosed)
    {
        Name = name;
        FailurePolicy = failurePolicy;
    }

    public string Name { get; }

    public HttpFilterCapabilities Capabilities { get; init; } = HttpFilterCapabilities.All;

    public FailurePolicy FailurePolicy { get; }

    public Func<HttpExchange, bool, FilterStatus>? RequestHeaders { get; init; }

    public Func<HttpExchange, int, bool, FilterStatus>? RequestBody { get; init; }

    public Func<HttpExchange, FilterStatus>? RequestTrailers { get; init; }

    public Func<HttpExchange, bool, FilterStatus>? ResponseHeaders { get; init; }

    public Func<HttpExchange, int, bool, FilterStatus>? ResponseBody { get; init; }

    public Func<HttpExchange, FilterStatus>? ResponseTrailers { get; init; }

    private int _streamsDone;

    public int StreamsDone => Volatile.Read(ref _streamsDone);

    public IHttpFilter CreateFilter(HttpExchange stream) => this;

    public FilterStatus OnRequestHeaders(HttpExchange stream, bool endOfStream) => RequestHeaders?.Invoke(stream, endOfStream) ?? FilterStatus.Continue;

    public FilterStatus OnRequestBody(HttpExchange stream, int bufferedLength, bool endOfStream) => RequestBody?.Invoke(stream, bufferedLength, endOfStream) ?? FilterStatus.Continue;

    public FilterStatus OnRequestTrailers(HttpExchange stream) => RequestTrailers?.Invoke(stream) ?? FilterStatus.Continue;

    public FilterStatus OnResponseHeaders(HttpExchange stream, bool endOfStream) => ResponseHeaders?.Invoke(stream, endOfStream) ?? FilterStatus.Continue;

    public FilterStatus OnResponseBody(HttpExchange stream, int bufferedLength, bool endOfStream) => ResponseBody?.Invoke(stream, bufferedLength, endOfStream) ?? FilterStatus.Continue;

    public FilterStatus OnResponseTrailers(HttpExchange stream) => ResponseTrailers?.Invoke(stream) ?? FilterStatus.Continue;

    public void OnStreamDone(HttpExchange stream) => Interlocked.Increment(ref _streamsDone);
}
