using Wasme.Proxy.Filters;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Wasm;

/// <summary>
/// Puts a running Proxy-Wasm plugin in the filter chain. The plugin owns its VMs (one per worker) and applies its
/// own failure policy; this adapter creates the plugin's context for each stream and maps its statuses.
/// </summary>
public sealed class ProxyWasmFilterFactory(ProxyWasmPlugin plugin) : IHttpFilterFactory
{
    public string Name => plugin.Name;

    /// <summary>Every event: Proxy-Wasm SDKs export all callbacks, so the module's exports cannot narrow this.</summary>
    public HttpFilterCapabilities Capabilities => HttpFilterCapabilities.All;

    public FailurePolicy FailurePolicy => plugin.Configuration.FailurePolicy;

    public ProxyWasmPlugin Plugin => plugin;

    public IHttpFilter CreateFilter(HttpExchange stream) => new ProxyWasmHttpFilter(plugin.CreateHttpStream(stream));
}

/// <summary>One plugin's context on one stream.</summary>
internal sealed class ProxyWasmHttpFilter(HttpStreamContext context) : IHttpFilter
{
    public FilterStatus OnRequestHeaders(HttpExchange stream, bool endOfStream) =>
        Map(context.OnRequestHeaders(stream.RequestHeaders, endOfStream));

    public FilterStatus OnRequestBody(HttpExchange stream, int bufferedLength, bool endOfStream) =>
        Map(context.OnRequestBody(stream.RequestBody, endOfStream));

    public FilterStatus OnRequestTrailers(HttpExchange stream) =>
        context.OnRequestTrailers(stream.RequestTrailers) == FilterTrailersStatus.Continue ? FilterStatus.Continue : FilterStatus.StopIteration;

    public FilterStatus OnResponseHeaders(HttpExchange stream, bool endOfStream) =>
        Map(context.OnResponseHeaders(stream.ResponseHeaders, endOfStream));

    public FilterStatus OnResponseBody(HttpExchange stream, int bufferedLength, bool endOfStream) =>
        Map(context.OnResponseBody(stream.ResponseBody, endOfStream));

    public FilterStatus OnResponseTrailers(HttpExchange stream) =>
        context.OnResponseTrailers(stream.ResponseTrailers) == FilterTrailersStatus.Continue ? FilterStatus.Continue : FilterStatus.StopIteration;

    public void OnStreamDone(HttpExchange stream) => context.Complete();

    private static FilterStatus Map(FilterHeadersStatus status) =>
        status is FilterHeadersStatus.Continue or FilterHeadersStatus.ContinueAndEndStream ? FilterStatus.Continue : FilterStatus.StopIteration;

    private static FilterStatus Map(FilterDataStatus status) =>
        status == FilterDataStatus.Continue ? FilterStatus.Continue : FilterStatus.StopIteration;
}
