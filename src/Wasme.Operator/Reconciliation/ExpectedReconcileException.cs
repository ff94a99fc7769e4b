namespace Wasme.Operator.Reconciliation;

/// <summary>
/// A failure the object's status already reports (registry down, pull secret not created yet): retried with backoff and
/// logged as one line, without a stack trace, since nothing in the operator is wrong.
/// </summary>
public sealed class ExpectedReconcileException : Exception
{
    public ExpectedReconcileException()
    {
    }

    public ExpectedReconcileException(string message)
        : base(message)
    {
    }

    public ExpectedReconcileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
