namespace Wasme.ProxyWasm;

/// <summary>A module or plugin cannot be used: wrong ABI, refused start or configuration, failed VM.</summary>
public sealed class ProxyWasmException : Exception
{
    public ProxyWasmException()
    {
    }

    public ProxyWasmException(string message)
        : base(message)
    {
    }

    public ProxyWasmException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
