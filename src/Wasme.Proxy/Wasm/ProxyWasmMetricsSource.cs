using Wasme.Proxy.Admin;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Wasm;

/// <summary>Shows the metrics Proxy-Wasm filters defined (through the host's metric store) on the admin endpoint.</summary>
public sealed class ProxyWasmMetricsSource(ProxyWasmRuntime runtime) : IFilterMetricsSource
{
    public IEnumerable<FilterMetricSample> Snapshot()
    {
        foreach (var metric in runtime.GetMetrics())
        {
            var type = (FilterMetricType)(int)metric.Type;
            yield return new FilterMetricSample(null, metric.Name, type, type == FilterMetricType.Histogram ? metric.Sum : metric.Value);
        }
    }
}
