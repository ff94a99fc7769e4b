namespace Wasme.Operator.Reconciliation;

/// <summary>
/// A failure that retrying cannot fix (for example an invalid spec): logged and counted, not requeued.
/// A change to the object enqueues it again.
/// </summary>
public sealed class TerminalReconcileException : Exception
{
    public TerminalReconcileException()
    {
    }

    public TerminalReconcileException(string message)
        : base(message)
    {
    }

    public TerminalReconcileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
