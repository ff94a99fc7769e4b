using Wasme.Proxy.Filters;

namespace Wasme.Proxy.Chain;

/// <summary>The configured filters in order, and what they need to see. Shared by all streams.</summary>
public sealed class FilterChain
{
    public FilterChain(IReadOnlyList<IHttpFilterFactory> factories, int bodyBufferLimit, TimeSpan streamIdleTimeout, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(factories);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bodyBufferLimit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(streamIdleTimeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Factories = factories;
        BodyBufferLimit = bodyBufferLimit;
        StreamIdleTimeout = streamIdleTimeout;
        TimeProvider = timeProvider;
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

    /// <summary>Longest a filter may hold a stream paused (Envoy's stream idle timeout).</summary>
    public TimeSpan StreamIdleTimeout { get; }

    public TimeProvider TimeProvider { get; }

    public bool Handles(HttpFilterCapabilities capability) => (Capabilities & capability) != 0;
}
