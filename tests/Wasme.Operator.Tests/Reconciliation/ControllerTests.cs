using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Wasme.Kubernetes.Clients;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.Queues;
using Wasme.Operator.Reconciliation;

namespace Wasme.Operator.Tests.Reconciliation;

/// <summary>What the controller reports about a reconcile: its metric result, its log scope, and how a retry is logged.</summary>
public sealed class ControllerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly OperatorMetrics _metrics = new();
    private readonly WorkQueue<ObjectKey> _queue;
    private readonly ScopeCapturingLogger _logger = new();
    private readonly MeterListener _results = new();

    public ControllerTests()
    {
        _queue = new WorkQueue<ObjectKey>(_time, new ExponentialBackoff<ObjectKey>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task A_good_reconcile_that_schedules_a_refresh_counts_as_success()
    {
        var results = RecordResults();
        var controller = Create(_ => ValueTask.FromResult(ReconcileResult.After(TimeSpan.FromMinutes(5))));
        _queue.Add(new ObjectKey("bookinfo", "f"));

        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(new[] { "success" }, results);
    }

    [Fact]
    public void Reconcile_durations_are_bucketed_in_seconds()
    {
        var histogram = (Histogram<double>)Instruments().Single(i => i.Name == "wasme_operator_reconcile_duration");

        var bounds = histogram.Advice!.HistogramBucketBoundaries!;

        Assert.Equal("s", histogram.Unit);
        Assert.Equal(0.005, bounds[0]);
        Assert.Contains(1.0, bounds);
        Assert.True(bounds[^1] <= 60, "bounds above a minute are milliseconds in disguise");
    }

    [Fact]
    public async Task The_log_scope_reads_as_text_and_keeps_its_values()
    {
        var controller = Create(_ => ValueTask.FromResult(ReconcileResult.Done));
        _queue.Add(new ObjectKey("bookinfo", "f"));

        await controller.ProcessNextAsync(CancellationToken.None);

        var scope = Assert.Single(_logger.Scopes);
        Assert.DoesNotContain("KeyValuePair", scope.ToString(), StringComparison.Ordinal);
        Assert.Matches("^filterdeployment bookinfo/f reconcile [0-9a-f]{12}$", scope.ToString());
        var values = Assert.IsAssignableFrom<IEnumerable<KeyValuePair<string, object?>>>(scope).ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("filterdeployment", values["Controller"]);
        Assert.Equal("bookinfo", values["Namespace"]);
        Assert.Equal("f", values["Name"]);
    }

    [Fact]
    public async Task An_expected_failure_is_retried_and_logged_as_one_line_without_a_stack_trace()
    {
        var results = RecordResults();
        var controller = Create(_ => throw new ExpectedReconcileException("RegistryUnavailable: cannot reach registry r"));
        var key = new ObjectKey("bookinfo", "f");
        _queue.Add(key);

        await controller.ProcessNextAsync(CancellationToken.None);

        var (level, message, exception) = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Information, level);
        Assert.Null(exception);
        Assert.Equal("Reconcile of bookinfo/f will be retried with backoff (attempt 1): RegistryUnavailable: cannot reach registry r", message);
        Assert.Equal(1, _queue.Requeues(key));
        Assert.Equal(new[] { "error" }, results);
    }

    [Fact]
    public async Task An_unexpected_failure_keeps_its_stack_trace()
    {
        var controller = Create(_ => throw new InvalidOperationException("bug"));
        _queue.Add(new ObjectKey("bookinfo", "f"));

        await controller.ProcessNextAsync(CancellationToken.None);

        var (level, _, exception) = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.IsType<InvalidOperationException>(exception);
    }

    public void Dispose()
    {
        _results.Dispose();
        _queue.Dispose();
        _metrics.Dispose();
    }

    private Controller Create(Func<ObjectKey, ValueTask<ReconcileResult>> reconcile) =>
        new("filterdeployment", _queue, new DelegateReconciler(reconcile), _metrics, _time, _logger);

    private ConcurrentQueue<string> RecordResults()
    {
        var results = new ConcurrentQueue<string>();
        var listener = _results;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _metrics.Meter && instrument.Name == "wasme_operator_reconciles")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    results.Enqueue((string)tag.Value!);
                }
            }
        });
        listener.Start();
        return results;
    }

    private List<Instrument> Instruments()
    {
        var found = new List<Instrument>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter == _metrics.Meter)
            {
                found.Add(instrument);
            }
        };
        listener.Start();
        return found;
    }

    private sealed class DelegateReconciler(Func<ObjectKey, ValueTask<ReconcileResult>> reconcile) : IReconciler
    {
        public ValueTask<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken) => reconcile(key);
    }

    private sealed class ScopeCapturingLogger : ILogger
    {
        public ConcurrentQueue<object> Scopes { get; } = new();

        public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            Scopes.Enqueue(state);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Entries.Enqueue((logLevel, formatter(state, exception), exception));
        }
    }
}
