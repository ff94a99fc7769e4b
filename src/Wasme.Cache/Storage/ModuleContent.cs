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
    public ReadOnlyMemory<byte> Memory => Mapped.Memory;

    /// <summary>The open, verified file behind <see cref="Memory"/>, for sendfile; valid until this lease is disposed.</summary>
    internal FileStream File => Mapped.Stream;

    private MappedModule Mapped => _mapped ?? throw new ObjectDisposedException(nameof(ModuleContent));

    public void Dispose() => Interlocked.Exchange(ref _mapped, null)?.Release();
}
