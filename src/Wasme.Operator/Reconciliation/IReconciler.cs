using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.Reconciliation;

/// <summary>
/// Drives the actual state of one object towards its desired state. Must be idempotent: it is
/// called again after errors, restarts, coalesced events and periodic resyncs.
/// Throwing retries with per-key exponential backoff; <see cref="TerminalReconcileException"/> does not retry.
/// </summary>
public interface IReconciler
{
    ValueTask<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken);
}
