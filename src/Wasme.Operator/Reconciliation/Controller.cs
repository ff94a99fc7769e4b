using Microsoft.Extensions.Logging;
using Wasme.Operator.Diagnostics;
using Wasme.Kubernetes.Clients;
using Wasme.Operator.Queues;

namespace Wasme.Operator.Reconciliation;

/// <summary>
/// Runs workers that take keys from the queue and reconcile them, acting on the result as
/// controller-runtime does: success forgets the key's backoff, <see cref="ReconcileResult.RequeueAfter"/>
/// schedules a later look, an exception requeues with per-key backoff, a terminal error does not requeue.
/// One key is never reconciled by two workers at once, and one failing key never blocks the others: each reconcile
/// has a deadline, after which its token is cancelled and its worker moves on (a call that ignores the token keeps
/// its key busy, not the worker).
/// </summary>
public sealed partial class Controller
{
    private readonly string _name;
    private readonly WorkQueue<ObjectKey> _queue;
    private readonly IReconciler _reconciler;
    private readonly OperatorMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TimeSpan _deadline;

    public Controller(string name, WorkQueue<ObjectKey> queue, IReconciler reconciler, OperatorMetrics metrics, TimeProvider timeProvider, ILogger logger, TimeSpan? deadline = null)
    {
        _deadline = deadline ?? DefaultDeadline;
        _name = name;
        _queue = queue;
        _reconciler = reconciler;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        metrics.ObserveQueueDepth(name, () => queue.Count);
    }

    /// <summary>How long one reconcile may take before it is cancelled and retried with backoff.</summary>
    public static TimeSpan DefaultDeadline { get; } = TimeSpan.FromMinutes(2);

    // How long past its deadline a worker waits for a reconcile that does not stop when cancelled.
    private static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(5);

    public WorkQueue<ObjectKey> Queue => _queue;

    public async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        using var registration = cancellationToken.Register(_queue.ShutDown);
        var tasks = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            tasks[i] = Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Takes one key and reconciles it; returns <c>false</c> once the queue is shut down.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken cancellationToken)
    {
        var (ok, key) = await _queue.TryTakeAsync(cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            return false;
        }

        var started = _timeProvider.GetTimestamp();
        var reconcileId = Guid.NewGuid().ToString("N")[..12];
        using var scope = ReconcileScope(_logger, _name, key.Namespace, key.Name, reconcileId);
        var reconcile = ReconcileOnceAsync(key, cancellationToken);
        string result;
        try
        {
            result = await reconcile.WaitAsync(_deadline + AbandonAfter, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // It ignores its cancelled token. The key stays in progress (never two reconciles of one key) until the call
            // returns, and is retried then; the worker takes the next key.
            Log.ReconcileAbandoned(_logger, key.ToString(), _deadline);
            result = "timeout";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = "cancelled";
        }

        _metrics.Reconciled(_name, result, _timeProvider.GetElapsedTime(started));
        return true;
    }

    /// <summary>One reconcile under its deadline, acting on the outcome; returns the metrics result label.</summary>
    private async Task<string> ReconcileOnceAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_deadline, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var outcome = await _reconciler.ReconcileAsync(key, linked.Token).ConfigureAwait(false);
            _queue.Forget(key);
            if (outcome.RequeueAfter is { } after && after > TimeSpan.Zero)
            {
                // A periodic refresh after a good reconcile is still a success, not a retry.
                _queue.AddAfter(key, after);
            }

            return "success";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return "cancelled";
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            _queue.AddRateLimited(key);
            Log.ReconcileTimedOut(_logger, key.ToString(), _deadline, _queue.Requeues(key));
            return "timeout";
        }
        catch (TerminalReconcileException ex)
        {
            _queue.Forget(key);
            Log.ReconcileTerminal(_logger, key.ToString(), ex);
            return "terminal";
        }
        catch (Exception ex) when (ex is ExpectedReconcileException or LeaseExpiredException || KubernetesErrors.IsConflict(ex) || KubernetesErrors.IsNamespaceTerminating(ex))
        {
            // The status says why (or a 409 says the cache was behind, or the namespace is going): one line, no stack trace.
            _queue.AddRateLimited(key);
            Log.ReconcileRetried(_logger, key.ToString(), _queue.Requeues(key), ex.Message);
            return "error";
        }
        catch (Exception ex) when (KubernetesErrors.IsUnavailable(ex) || ex is OperationCanceledException)
        {
            // The API server is down, throttling or slower than the client's timeout: weather, not a bug. One line a retry,
            // with what the server said, not a stack trace per FilterDeployment; and not sooner than it asked (Retry-After).
            _queue.AddRateLimited(key, KubernetesErrors.RetryAfter(ex) ?? TimeSpan.Zero);
            Log.ReconcileRetriedWarning(_logger, key.ToString(), _queue.Requeues(key), ex is OperationCanceledException
                ? "the Kubernetes API server did not answer in time"
                : KubernetesErrors.Describe(ex));
            return "error";
        }
        catch (Exception ex)
        {
            // A reconciler bug must never take the operator down (the original crash-looped: issue #243).
            _queue.AddRateLimited(key);
            Log.ReconcileFailed(_logger, key.ToString(), _queue.Requeues(key), ex);
            return "error";
        }
        finally
        {
            _queue.Done(key);
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (await ProcessNextAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    // A scope that renders as text in the JSON console's "Message" and still carries each value as a property.
    private static readonly Func<ILogger, string, string?, string, string, IDisposable?> ReconcileScope =
        LoggerMessage.DefineScope<string, string?, string, string>("{Controller} {Namespace}/{Name} reconcile {ReconcileID}");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Reconcile of {Key} failed (attempt {Attempt}); retrying with backoff")]
        public static partial void ReconcileFailed(ILogger logger, string key, int attempt, Exception exception);

        [LoggerMessage(2, LogLevel.Error, "Reconcile of {Key} failed and will not be retried until the object changes")]
        public static partial void ReconcileTerminal(ILogger logger, string key, Exception exception);

        [LoggerMessage(3, LogLevel.Information, "Reconcile of {Key} will be retried with backoff (attempt {Attempt}): {Reason}")]
        public static partial void ReconcileRetried(ILogger logger, string key, int attempt, string reason);

        [LoggerMessage(6, LogLevel.Warning, "Reconcile of {Key} will be retried with backoff (attempt {Attempt}): {Reason}")]
        public static partial void ReconcileRetriedWarning(ILogger logger, string key, int attempt, string reason);

        [LoggerMessage(4, LogLevel.Warning, "Reconcile of {Key} took longer than its {Deadline} deadline and was cancelled; retrying with backoff (attempt {Attempt})")]
        public static partial void ReconcileTimedOut(ILogger logger, string key, TimeSpan deadline, int attempt);

        [LoggerMessage(5, LogLevel.Error, "Reconcile of {Key} did not stop when its {Deadline} deadline cancelled it; the worker moves on, and the key is retried once the call returns")]
        public static partial void ReconcileAbandoned(ILogger logger, string key, TimeSpan deadline);
    }
}
