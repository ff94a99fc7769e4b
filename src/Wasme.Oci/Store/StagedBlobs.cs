using Wasme.Oci.References;

namespace Wasme.Oci.Store;

/// <summary>
/// Blobs on their way into the store: each streamed into a temp file beside the place it will live
/// and renamed into place only once the whole image is verified. Whatever is not committed is
/// deleted on dispose, so a failed or cancelled pull leaves the store as it was. Blobs made here
/// (build, tag) are flushed to disk before the rename; blobs fetched from a registry are not (see
/// <see cref="LocalImageStore.StageBlobs"/>).
/// Each temp file stays open (and so exclusively flock'ed) until it is committed or deleted: that is
/// how another process's cleanup of abandoned temp files (<see cref="AbandonedTempFiles"/>) tells a
/// live pull's file from a killed one's.
/// </summary>
public sealed class StagedBlobs : IDisposable
{
    private readonly string _root;
    private readonly string _directory;
    private readonly bool _flushToDisk;
    private readonly Dictionary<Digest, (string Path, FileStream? File)> _files = [];
    private readonly List<string> _createdDirectories = [];
    private bool _committed;

    internal StagedBlobs(string root, string directory, bool flushToDisk)
    {
        _root = root;
        _directory = directory;
        _flushToDisk = flushToDisk;
    }

    public bool Contains(Digest digest)
    {
        lock (_files)
        {
            return _files.ContainsKey(digest);
        }
    }

    /// <summary>Creates the blob's temp file and lets <paramref name="write"/> fill it (from position 0; it may seek back to retry).</summary>
    public async Task WriteAsync(Digest digest, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        ObjectDisposedException.ThrowIf(_committed, this);
        var temp = Path.Combine(_directory, $"{AbandonedTempFiles.Prefix}{Guid.NewGuid():N}");
        FileStream file;
        try
        {
            CreateDirectory();
            lock (_files)
            {
                _files.Add(digest, (temp, null));
            }

            // Unbuffered: the writer hands over 1 MiB chunks, and a FileStream buffer would only copy them again.
            file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 });
        }
        catch (Exception ex) when (StoreAccess.IsRefusal(ex))
        {
            // Only the store's own files: the writer's failures (a broken download) pass through unchanged.
            throw StoreAccess.Refused(_root, ex);
        }

        lock (_files)
        {
            _files[digest] = (temp, file);
        }

        // The file's own failures (a full disk) name the store; the writer's (a broken download) pass through unchanged.
        var stored = new StoreFileStream(file, _root);
        await write(stored, cancellationToken).ConfigureAwait(false);
        stored.SetLength(stored.Position);
        if (_flushToDisk)
        {
            stored.Flush(flushToDisk: true);
        }
    }

    /// <summary>The staged blob's bytes, or only its first <paramref name="headLength"/> bytes.</summary>
    internal ReadOnlyMemory<byte> Read(Digest digest, int? headLength)
    {
        // Read through the open handle: opening the path again would conflict with our own lock.
        var handle = _files[digest].File!.SafeFileHandle;
        var length = RandomAccess.GetLength(handle);
        var bytes = new byte[headLength is { } head ? Math.Min(head, length) : length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                throw new EndOfStreamException($"Staged blob {digest} ended early.");
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>Renames every staged blob into place (<c>blobs/sha256/HEX</c>). Called under the store's exclusive lock.</summary>
    internal void Commit(Func<Digest, string> finalPath)
    {
        lock (_files)
        {
            foreach (var (digest, (temp, file)) in _files)
            {
                // Closed first so Windows allows the rename; the store lock keeps cleanup away meanwhile.
                file?.Dispose();
                File.Move(temp, finalPath(digest), overwrite: true);
            }

            _files.Clear();
            _committed = true;
        }
    }

    public void Dispose()
    {
        lock (_files)
        {
            foreach (var (temp, file) in _files.Values)
            {
                // Deleted while still held, so no cleanup elsewhere can race us for it.
                AtomicFile.TryDelete(temp);
                file?.Dispose();
            }

            _files.Clear();
            if (!_committed)
            {
                // A pull into a new store that failed leaves no trace, not even empty directories.
                foreach (var directory in _createdDirectories)
                {
                    TryDeleteEmptyDirectory(directory);
                }
            }
        }
    }

    private void CreateDirectory()
    {
        lock (_files)
        {
            for (var directory = _directory; directory is not null && !Directory.Exists(directory); directory = Path.GetDirectoryName(directory))
            {
                _createdDirectories.Add(directory);
            }

            Directory.CreateDirectory(_directory);
        }
    }

    private static void TryDeleteEmptyDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: false);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
