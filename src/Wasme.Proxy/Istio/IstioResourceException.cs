namespace Wasme.Proxy.Istio;

/// <summary>An Istio resource file that cannot be run: the message names the resource, the field and the fix.</summary>
public sealed class IstioResourceException : Exception
{
    public IstioResourceException()
    {
    }

    public IstioResourceException(string message)
        : base(message)
    {
    }

    public IstioResourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
