namespace Wasme.Proxy.Hosting;

/// <summary>The proxy could not start (a port in use, an address that cannot be bound); the message names the fix.</summary>
public sealed class ProxyStartException : Exception
{
    public ProxyStartException()
    {
    }

    public ProxyStartException(string message)
        : base(message)
    {
    }

    public ProxyStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
