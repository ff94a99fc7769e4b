using Wasme.ProxyWasm;

namespace Wasme.Proxy.Filters;

/// <summary>
/// A configured filter in the chain (for Proxy-Wasm: one plugin with its VMs). Creates the per-stream
/// <see cref="IHttpFilter"/> and says which parts of a stream the filter wants to see, so the proxy can stream
/// bodies straight through when no filter looks at them.
/// </summary>
public interface IHttpFilterFactory
{
    /// <summary>Name used in logs, metrics and error messages.</summary>
    string Name { get; }

    HttpFilterCapabilities Capabilities { get; }

    FailurePolicy FailurePolicy { get; }

    IHttpFilter CreateFilter(Streams.HttpExchange stream);
}
