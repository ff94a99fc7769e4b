using System.Diagnostics.Metrics;
using Wasme.Operator.Diagnostics;

namespace Wasme.Operator.Tests.Support;

/// <summary>Counts finished reconciles of one <see cref="OperatorMetrics"/> instance (tests run in parallel, each with its own).</summary>
public sealed class ReconcileCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public ReconcileCounter(OperatorMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "wasme_operator_reconciles")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
