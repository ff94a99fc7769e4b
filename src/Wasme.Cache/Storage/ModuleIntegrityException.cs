namespace Wasme.Cache.Storage;

/// <summary>Fetched bytes did not hash to the expected digest, or exceeded the size bound (nothing was stored); or a stored file no longer does.</summary>
public sealed class ModuleIntegrityException : Exception
{
    public ModuleIntegrityException(string message)
        : base(message)
    {
    }

    public ModuleIntegrityException()
    {
    }

    public ModuleIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
