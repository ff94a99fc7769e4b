namespace Wasme.ProxyWasm;

/// <summary>A metric a filter defined, as it stands now. Names are as the filter gave them.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Type">Counter, gauge or histogram.</param>
/// <param name="Value">Counter total, gauge value, or for a histogram the last recorded value.</param>
/// <param name="Count">For a histogram, how many values were recorded; otherwise 0.</param>
/// <param name="Sum">For a histogram, the sum of recorded values; otherwise 0.</param>
public sealed record MetricSnapshot(string Name, MetricType Type, long Value, long Count, long Sum);
