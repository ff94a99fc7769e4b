namespace Wasme.Cache.Storage;

/// <summary>The module directory cannot be written, so no module could ever be stored; its message names the fix.</summary>
public sealed class ModuleDirectoryAccessException : IOException
{
    public ModuleDirectoryAccessException(string message)
        : base(message)
    {
    }

    public ModuleDirectoryAccessException()
    {
    }

    public ModuleDirectoryAccessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
