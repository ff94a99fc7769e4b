using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using k8s.Autorest;
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
    public async Task An_API_server_that_cannot_answer_is_one_warning_line_per_retry_without_a_stack_trace()
    {
        // An API server restart or an etcd hiccup fails every reconcile at once: before, each retry of each FilterDeployment
        // logged a Warning with the whole stack trace, and the API server's own message was not in it.
        const string Body = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":503}""";
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        var failures = new Queue<Exception>(
        [
            new HttpOperationException("Operation returned an invalid status code 'ServiceUnavailable'") { Response = new HttpResponseMessageWrapper(response, Body) },
            new HttpRequestException("Connection refused (10.96.0.1:443)"),
        ]);
        var controller = Create(_ => throw failures.Dequeue());
        var key = new ObjectKey("bookinfo", "f");

        _queue.Add(key);
        await controller.ProcessNextAsync(CancellationToken.None);
        _queue.Add(key);
        await controller.ProcessNextAsync(CancellationToken.None);

        Assert.Equal(
            [
                (LogLevel.Warning, "Reconcile of bookinfo/f will be retried with backoff (attempt 1): the Kubernetes API server answered 503 (InternalError): etcdserver: request timed out", (Exception?)null),
                (LogLevel.Warning, "Reconcile of bookinfo/f will be retried with backoff (attempt 2): the Kubernetes API server cannot be reached: Connection refused (10.96.0.1:443)", null),
            ],
            _logger.Entries);
    }

    [Fact]
    public async Task A_write_throttled_with_Retry_After_is_tried_again_no_sooner_than_the_server_asked()
    {
        // Writes are not sent again by the client (the Lease fence is checked before each one), so the reconcile fails;
        // before, its key came back after the backoff's first 5 ms whatever Retry-After said.
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7)) } };
        var controller = Create(_ => throw new HttpOperationException("Operation returned an invalid status code 'TooManyRequests'")
        {
            Response = new HttpResponseMessageWrapper(response, "Too many requests, please try again later.\n"),
        });
        var key = new ObjectKey("bookinfo", "f");
        _queue.Add(key);

        await controller.ProcessNextAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _queue.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _queue.Count);
        Assert.Contains(_logger.Entries, e => e.Message.EndsWith("the Kubernetes API server answered 429: Too many requests, please try again later.", StringComparison.Ordinal));
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

    [Fact]
    public async Task A_reconcile_past_its_deadline_is_cancelled_and_retried_with_backoff()
    {
        var results = RecordResults();
        var controller = Create(async (key, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return ReconcileResult.Done;
        });
        var key = new ObjectKey("bookinfo", "stuck");
        _queue.Add(key);

        var processing = controller.ProcessNextAsync(CancellationToken.None);
        _time.Advance(Controller.DefaultDeadline);

        Assert.True(await processing);
        Assert.Equal(new[] { "timeout" }, results);
        Assert.Equal(1, _queue.Requeues(key));
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("Reconcile of bookinfo/stuck took longer than its 00:02:00 deadline", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reconcile_that_ignores_cancellation_keeps_its_key_busy_but_not_the_only_worker()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconciled = new ConcurrentQueue<string>();
        var controller = Create(async (key, _) =>
        {
            if (key.Name == "stuck")
            {
                await release.Task; // a call that takes no token: cancelling cannot stop it
            }

            reconciled.Enqueue(key.Name);
            return ReconcileResult.Done;
        });
        _queue.Add(new ObjectKey("bookinfo", "stuck"));
        _queue.Add(new ObjectKey("bookinfo", "other"));

        var processing = controller.ProcessNextAsync(CancellationToken.None);
        _time.Advance(Controller.DefaultDeadline + TimeSpan.FromSeconds(5));
        Assert.True(await processing);

        // Added again while the abandoned call still runs: not handed out twice, and the worker serves the next key.
        _queue.Add(new ObjectKey("bookinfo", "stuck"));
        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(new[] { "other" }, reconciled);
        Assert.Equal(0, _queue.Count);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("did not stop when its 00:02:00 deadline cancelled it", StringComparison.Ordinal));

        // When the call finally returns, the key is looked at again.
        release.SetResult();
        Assert.True(await controller.ProcessNextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(new[] { "other", "stuck", "stuck" }, reconciled);
    }

    public void Dispose()
    {
        _results.Dispose();
        _queue.Dispose();
        _metrics.Dispose();
    }

    private Controller Create(Func<ObjectKey, ValueTask<ReconcileResult>> reconcile) =>
        new("filterdeployment", _queue, new DelegateReconciler((key, _) => reconcile(key)), _metrics, _time, _logger);

    private Controller Create(Func<ObjectKey, CancellationToken, Task<ReconcileResult>> reconcile) =>
        new("filterdeployment", _queue, new DelegateReconciler((key, token) => new ValueTask<ReconcileResult>(reconcile(key, token))), _metrics, _time, _logger);

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

    private sealed class DelegateReconciler(Func<ObjectKey, CancellationToken, ValueTask<ReconcileResult>> reconcile) : IReconciler
    {
        public ValueTask<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken) => reconcile(key, cancellationToken);
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
