using Wasme.Proxy.Filters;

namespace Wasme.Proxy.Chain;

/// <summary>The configured filters in order, and what they need to see. Shared by all streams.</summary>
public sealed class FilterChain
{
    public FilterChain(IReadOnlyList<IHttpFilterFactory> factories, int bodyBufferLimit)
    {
        ArgumentNullException.ThrowIfNull(factories);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bodyBufferLimit);
        Factories = factories;
        BodyBufferLimit = bodyBufferLimit;
        foreach (var factory in factories)
        {
            Capabilities |= factory.Capabilities;
        }
    }

    public IReadOnlyList<IHttpFilterFactory> Factories { get; }

    /// <summary>Union of every filter's capabilities: a body no filter looks at is streamed straight through.</summary>
    public HttpFilterCapabilities Capabilities { get; }

    /// <summary>Most body bytes one filter may hold buffered (Envoy's per-stream buffer limit).</summary>
    public int BodyBufferLimit { get; }

    public bool Handles(HttpFilterCapabilities capability) => (Capabilities & capability) != 0;
}
