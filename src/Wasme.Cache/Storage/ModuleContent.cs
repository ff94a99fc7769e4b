namespace Wasme.Cache.Storage;

/// <summary>A request's lease on a held module's bytes (see <see cref="ModuleDirectory.TryOpenContent"/>).</summary>
public sealed class ModuleContent : IDisposable
{
    private MappedModule? _mapped;

    internal ModuleContent(ModuleEntry entry, MappedModule mapped)
    {
        Entry = entry;
        _mapped = mapped;
    }

    public ModuleEntry Entry { get; }

    /// <summary>The module's bytes; valid until this lease is disposed.</summary>
    public ReadOnlyMemory<byte> Memory => (_mapped ?? throw new ObjectDisposedException(nameof(ModuleContent))).Memory;

    public void Dispose() => Interlocked.Exchange(ref _mapped, null)?.Release();
}
