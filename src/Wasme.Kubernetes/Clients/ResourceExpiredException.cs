namespace Wasme.Kubernetes.Clients;

/// <summary>The server no longer holds the requested resourceVersion (410 Gone): list again.</summary>
public sealed class ResourceExpiredException : Exception
{
    public ResourceExpiredException()
    {
    }

    public ResourceExpiredException(string message)
        : base(message)
    {
    }

    public ResourceExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
