namespace Wasme.ProxyWasm.Shared;

/// <summary>The state filters share across VMs, owned by one <see cref="ProxyWasmRuntime"/>.</summary>
internal sealed class ShareScope
{
    public SharedDataStore Data { get; } = new();

    public SharedQueueRegistry Queues { get; } = new();

    public MetricRegistry Metrics { get; } = new();
}
