using Microsoft.Extensions.Logging;
using Wasme.Operator.Diagnostics;
using Wasme.Kubernetes.Clients;
using Wasme.Operator.Queues;

namespace Wasme.Operator.Reconciliation;

/// <summary>
/// Runs workers that take keys from the queue and reconcile them, acting on the result as
/// controller-runtime does: success forgets the key's backoff, <see cref="ReconcileResult.RequeueAfter"/>
/// schedules a later look, an exception requeues with per-key backoff, a terminal error does not requeue.
/// One key is never reconciled by two workers at once, and one failing key never blocks the others.
/// </summary>
public sealed partial class Controller
{
    private readonly string _name;
    private readonly WorkQueue<ObjectKey> _queue;
    private readonly IReconciler _reconciler;
    private readonly OperatorMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public Controller(string name, WorkQueue<ObjectKey> queue, IReconciler reconciler, OperatorMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _name = name;
        _queue = queue;
        _reconciler = reconciler;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        metrics.ObserveQueueDepth(name, () => queue.Count);
    }

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
        string result;
        try
        {
            var outcome = await _reconciler.ReconcileAsync(key, cancellationToken).ConfigureAwait(false);
            _queue.Forget(key);
            if (outcome.RequeueAfter is { } after && after > TimeSpan.Zero)
            {
                // A periodic refresh after a good reconcile is still a success, not a retry.
                _queue.AddAfter(key, after);
            }

            result = "success";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = "cancelled";
        }
        catch (TerminalReconcileException ex)
        {
            _queue.Forget(key);
            Log.ReconcileTerminal(_logger, key.ToString(), ex);
            result = "terminal";
        }
        catch (Exception ex) when (ex is ExpectedReconcileException or LeaseExpiredException || KubernetesErrors.IsConflict(ex))
        {
            // The status says why (or a 409 says the cache was behind): one line, no stack trace.
            _queue.AddRateLimited(key);
            Log.ReconcileRetried(_logger, key.ToString(), _queue.Requeues(key), ex.Message);
            result = "error";
        }
        catch (Exception ex)
        {
            // A reconciler bug must never take the operator down (the original crash-looped: issue #243).
            _queue.AddRateLimited(key);
            Log.ReconcileFailed(_logger, key.ToString(), _queue.Requeues(key), ex);
            result = "error";
        }
        finally
        {
            _queue.Done(key);
        }

        _metrics.Reconciled(_name, result, _timeProvider.GetElapsedTime(started));
        return true;
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
    }
}
