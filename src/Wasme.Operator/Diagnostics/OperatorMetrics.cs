using System.Diagnostics.Metrics;

namespace Wasme.Operator.Diagnostics;

/// <summary>
/// The operator's instruments, exported by <c>/metrics</c> in Prometheus form
/// (for example <c>wasme_operator_reconciles_total{controller,result}</c>).
/// </summary>
public sealed class OperatorMetrics : IDisposable
{
    public const string MeterName = "Wasme.Operator";

    // Seconds, as controller-runtime's reconcile histogram; the exporter's default bounds (0 to 10000) suit milliseconds.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter _meter;
    private readonly Counter<long> _reconciles;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _writes;

    public OperatorMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _reconciles = _meter.CreateCounter<long>("wasme_operator_reconciles", description: "Reconciles finished, by controller and result (success, error, terminal, cancelled).");
        _errors = _meter.CreateCounter<long>("wasme_operator_reconcile_errors", description: "Reconciles that failed, by controller.");
        _duration = _meter.CreateHistogram<double>(
            "wasme_operator_reconcile_duration",
            unit: "s",
            description: "Time spent in one reconcile.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _writes = _meter.CreateCounter<long>("wasme_operator_api_writes", description: "Writes sent to the API server, by kind and verb.");
    }

    /// <summary>The meter holding these instruments (what an exporter or a test listener subscribes to).</summary>
    public Meter Meter => _meter;

    /// <summary>Registers the depth of a controller's queue as an observable gauge.</summary>
    public void ObserveQueueDepth(string controller, Func<int> depth) =>
        _meter.CreateObservableGauge("wasme_operator_queue_depth", () => new Measurement<int>(depth(), new KeyValuePair<string, object?>("controller", controller)), description: "Keys waiting in the work queue.");

    public void Reconciled(string controller, string result, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("controller", controller);
        _reconciles.Add(1, tag, new KeyValuePair<string, object?>("result", result));
        _duration.Record(duration.TotalSeconds, tag);
        if (result is "error" or "terminal")
        {
            _errors.Add(1, tag);
        }
    }

    public void Wrote(string kind, string verb) =>
        _writes.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("verb", verb));

    public void Dispose() => _meter.Dispose();
}
