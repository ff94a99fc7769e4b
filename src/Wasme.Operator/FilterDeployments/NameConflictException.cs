namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// A generated object name is already taken by an object this FilterDeployment does not own. The operator never
/// overwrites it; the message names the holder and what the user can do.
/// </summary>
public sealed class NameConflictException : Exception
{
    public NameConflictException()
    {
    }

    public NameConflictException(string message)
        : base(message)
    {
    }

    public NameConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
