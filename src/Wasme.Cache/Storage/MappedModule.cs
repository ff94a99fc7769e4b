using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace Wasme.Cache.Storage;

/// <summary>
/// A held module's bytes, mapped read-only once and served from the page cache by every request (the files are
/// immutable: their name is their sha256). Opening, statting and reading the file per request cost more CPU than
/// sending it. The open file stays with the mapping, so hits can also be sent with sendfile(2) from that same verified
/// inode. Requests take a lease; removal retires the mapping, which is unmapped and closed when the last lease ends.
/// </summary>
internal sealed unsafe class MappedModule : MemoryManager<byte>
{
    private readonly FileStream _stream;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly int _length;

    // One reference for the directory itself, one per request in flight; zero means unmapped.
    private int _references = 1;

    private MappedModule(FileStream stream, MemoryMappedFile file, MemoryMappedViewAccessor view, int length)
    {
        _stream = stream;
        _file = file;
        _view = view;
        _length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + view.PointerOffset;
    }

    /// <summary>
    /// Maps <paramref name="entry"/>; null when it cannot be mapped (empty or over 2 GiB), so the caller streams the file;
    /// <see cref="ModuleIntegrityException"/> when the file no longer holds the module.
    /// </summary>
    public static MappedModule? TryMap(ModuleEntry entry)
    {
        if (entry.Length is 0 or > int.MaxValue)
        {
            return null;
        }

        // No buffer: the stream is only a handle for the mapping and for sendfile (which reads at explicit offsets, and
        // whose SendPacketsElement insists on an asynchronous stream).
        var stream = new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);
        MemoryMappedFile? file = null;
        try
        {
            Verify(stream, entry);
            file = MemoryMappedFile.CreateFromFile(stream, mapName: null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            return new MappedModule(stream, file, file.CreateViewAccessor(0, entry.Length, MemoryMappedFileAccess.Read), (int)entry.Length);
        }
        catch
        {
            file?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The file was verified when it was stored or scanned, but by name: it may have been replaced or rewritten since (by hand,
    /// a node clean-up, another writer), and this handle is what every later request sends. Hash what it holds, once.
    /// </summary>
    private static void Verify(FileStream stream, ModuleEntry entry)
    {
        var handle = stream.SafeFileHandle;
        if (RandomAccess.GetLength(handle) != entry.Length)
        {
            throw new ModuleIntegrityException($"The file of module sha256:{entry.Digest.Hex} is no longer {entry.Length} bytes long.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (ModuleDigest.FromHash(hash.GetCurrentHash()) != entry.Digest)
        {
            throw new ModuleIntegrityException($"The file of module sha256:{entry.Digest.Hex} no longer hashes to its name.");
        }
    }

    /// <summary>The mapped file, open for the mapping's lifetime (for sendfile; read at offsets, never by position).</summary>
    public FileStream Stream => _stream;

    public int Length => _length;

    /// <summary>Takes a lease for one request; false once the mapping is retired.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Ends a lease, or (called once by the directory) retires the mapping.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
            _stream.Dispose();
        }
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    // The view stays mapped for the lease's lifetime: there is nothing to pin.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        // Lifetime is the lease count's, not the MemoryManager's.
    }
}
