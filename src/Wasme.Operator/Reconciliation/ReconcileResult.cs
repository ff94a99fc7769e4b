namespace Wasme.Operator.Reconciliation;

/// <summary>The outcome of a successful reconcile: done, or look again after a delay.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult After(TimeSpan delay) => new(delay);
}
