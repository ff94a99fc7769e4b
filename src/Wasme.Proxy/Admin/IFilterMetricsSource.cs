namespace Wasme.Proxy.Admin;

/// <summary>Kinds of filter metrics, as Proxy-Wasm defines them.</summary>
public enum FilterMetricType
{
    Counter = 0,
    Gauge = 1,
    Histogram = 2,
}

/// <summary>One metric a filter defined, with its current value (for a histogram: the sum of recorded values).</summary>
/// <param name="Filter">The filter that defined it, when known (Proxy-Wasm metrics are process-wide by name).</param>
/// <param name="Name">The name the filter gave it.</param>
/// <param name="Type">Counter, gauge or histogram.</param>
/// <param name="Value">Current value.</param>
public sealed record FilterMetricSample(string? Filter, string Name, FilterMetricType Type, long Value);

/// <summary>Where the admin endpoint reads the filters' metrics from (the Proxy-Wasm host's metric store).</summary>
public interface IFilterMetricsSource
{
    IEnumerable<FilterMetricSample> Snapshot();

    /// <summary>Failures per filter that happen out of the proxy's sight (a Proxy-Wasm VM that trapped), added to its own count.</summary>
    IEnumerable<KeyValuePair<string, long>> FilterFailures() => [];
}
