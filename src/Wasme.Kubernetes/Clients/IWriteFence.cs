namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Asked before every write the operator sends. A leader that cannot be sure it still holds its Lease must not write:
/// another replica may already be acting on the same objects.
/// </summary>
public interface IWriteFence
{
    /// <summary>Throws <see cref="LeaseExpiredException"/> when writing is no longer safe.</summary>
    void EnsureMayWrite();
}

/// <summary>This replica's Lease may have expired; whatever it was about to write is left to the current leader.</summary>
public sealed class LeaseExpiredException : Exception
{
    public LeaseExpiredException()
    {
    }

    public LeaseExpiredException(string message)
        : base(message)
    {
    }

    public LeaseExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
