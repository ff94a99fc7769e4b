using Wasme.Proxy.Admin;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Wasm;

/// <summary>
/// Shows the Proxy-Wasm host on the admin endpoint: the metrics filters defined, the runtime's VM counts and each
/// plugin's reload counts under Envoy's stat names, and each plugin's VM failures (traps) as filter failures.
/// </summary>
public sealed class ProxyWasmMetricsSource(ProxyWasmRuntime runtime, IReadOnlyList<ProxyWasmPlugin> plugins) : IFilterMetricsSource
{
    /// <summary>Envoy's stat prefix for the runtime this host stands in for.</summary>
    private const string RuntimePrefix = "wasm.envoy.wasm.runtime.wasmtime.";

    public IEnumerable<FilterMetricSample> Snapshot()
    {
        foreach (var metric in runtime.GetMetrics())
        {
            var type = (FilterMetricType)(int)metric.Type;
            yield return new FilterMetricSample(null, metric.Name, type, type == FilterMetricType.Histogram ? metric.Sum : metric.Value);
        }

        yield return new FilterMetricSample(null, RuntimePrefix + "created", FilterMetricType.Counter, runtime.VmsCreated);
        yield return new FilterMetricSample(null, RuntimePrefix + "active", FilterMetricType.Gauge, runtime.ActiveVms);
        foreach (var plugin in plugins)
        {
            var stats = plugin.Statistics;
            var prefix = "wasm." + plugin.Name + ".";
            yield return new FilterMetricSample(plugin.Name, prefix + "vm_reload", FilterMetricType.Counter, stats.Reloads);
            yield return new FilterMetricSample(plugin.Name, prefix + "vm_reload_success", FilterMetricType.Counter, stats.ReloadSuccesses);
            yield return new FilterMetricSample(plugin.Name, prefix + "vm_reload_failure", FilterMetricType.Counter, stats.ReloadFailures);
            yield return new FilterMetricSample(plugin.Name, prefix + "vm_reload_backoff", FilterMetricType.Counter, stats.ReloadBackoffs);
        }
    }

    public IEnumerable<KeyValuePair<string, long>> FilterFailures() =>
        plugins.Select(plugin => new KeyValuePair<string, long>(plugin.Name, plugin.Statistics.VmFailures));
}
