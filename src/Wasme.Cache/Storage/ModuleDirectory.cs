using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Wasme.Cache.Storage;

/// <summary>
/// The node's content-addressed module directory: <c>&lt;dir&gt;/&lt;sha256 hex&gt;</c>, each file read-only and
/// complete. The same directory is mounted into sidecars for HostPath delivery, so a file exists under
/// its final name only once its content has been verified and flushed.
/// </summary>
public sealed class ModuleDirectory : IDisposable
{
    internal const string TempPrefix = ".tmp-";

    // errno values .NET puts in an IOException's HResult on Unix: ENOSPC, and EDQUOT (Linux, macOS).
    private const int NoSpace = 28;
    private const int QuotaExceededLinux = 122;
    private const int QuotaExceededMacOS = 69;

    private const UnixFileMode ReadOnlyMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly ConcurrentDictionary<ModuleDigest, Slot> _slots = new();
    private readonly TimeProvider _timeProvider;
    private ModuleDirectoryLock? _lock;

    public ModuleDirectory(string path, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _timeProvider = timeProvider;
    }

    public string Path { get; }

    /// <summary>
    /// A directory the daemon may read but not write (a read-only hostPath, another owner) passes the scan, and the
    /// daemon would report ready, then download every module only to fail storing it, retrying forever: find out first.
    /// </summary>
    private void EnsureWritable()
    {
        var probe = System.IO.Path.Combine(Path, $"{TempPrefix}probe-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModuleDirectoryAccessException(
                $"The module directory {Path} cannot be written ({ex.Message.TrimEnd('.', ' ')}), so no module could be stored. " +
                "Mount it read-write (a hostPath volume without readOnly) and writable by the cache's user (runAsUser, or an fsGroup the directory allows), or pass another --directory.",
                ex);
        }
    }

    /// <summary>A path that is a file, or under one, or that the process may not create, fails the start naming the path and the fix.</summary>
    private void EnsureDirectory()
    {
        try
        {
            Directory.CreateDirectory(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var problem = File.Exists(Path) ? "it is a file, not a directory" : $"it cannot be created: {ex.Message.TrimEnd('.', ' ')}";
            throw new ModuleDirectoryAccessException(
                $"The module directory {Path} cannot be used ({problem}). Pass a directory the cache can create or write with --directory, e.g. /var/local/lib/wasme-cache.",
                ex);
        }
    }

    public int Count => _slots.Count;

    public long TotalBytes => _slots.Values.Sum(s => s.Entry.Length);

    /// <summary>
    /// Makes the in-memory index match the disk: removes temp files left by a crash and any file
    /// whose content does not hash to its name (truncated, tampered or bit-rotted). Fails when the
    /// directory cannot be written or another cache uses it (<see cref="ModuleDirectoryAccessException"/>).
    /// </summary>
    public async Task<ScanReport> ScanAsync(CancellationToken cancellationToken)
    {
        EnsureDirectory();
        // Before anything is removed: the temp files may be another cache's fetches in flight.
        _lock ??= ModuleDirectoryLock.Acquire(Path);
        EnsureWritable();
        foreach (var old in _slots.Values)
        {
            old.Retire();
        }

        _slots.Clear();
        var removedTemp = new List<string>();
        var removedCorrupt = new List<string>();
        var ignored = new List<string>();

        foreach (var file in Directory.EnumerateFiles(Path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = System.IO.Path.GetFileName(file);
            if (name.StartsWith(TempPrefix, StringComparison.Ordinal))
            {
                File.Delete(file);
                removedTemp.Add(name);
                continue;
            }

            if (!ModuleDigest.TryParse(name, out var digest) || name != digest.Hex)
            {
                // Not ours by name: leave it alone rather than delete something an admin put there.
                ignored.Add(name);
                continue;
            }

            // Under a module name the cache owns the entry: one it cannot verify, or a link (dangling, or to a file outside the
            // directory that HostPath sidecars cannot follow), is removed and fetched again rather than stopping the start.
            var info = new FileInfo(file);
            var verified = info.LinkTarget is null && await TryHashFileAsync(file, cancellationToken) == digest;
            if (!verified)
            {
                TryDelete(file);
                removedCorrupt.Add(name);
                continue;
            }

            Add(new ModuleEntry(digest, file, info.Length), info.LastWriteTimeUtc);
        }

        if (removedTemp.Count > 0 || removedCorrupt.Count > 0)
        {
            DirectorySync.Flush(Path);
        }

        return new ScanReport(_slots.Count, removedTemp, removedCorrupt, ignored);
    }

    public bool Contains(ModuleDigest digest) => _slots.ContainsKey(digest);

    public bool TryGet(ModuleDigest digest, [NotNullWhen(true)] out ModuleEntry? entry)
    {
        if (_slots.TryGetValue(digest, out var slot))
        {
            entry = slot.Entry;
            return true;
        }

        entry = null;
        return false;
    }

    /// <summary>
    /// A lease on the held module's bytes, mapped once and shared by every request; null when the module is not held
    /// or cannot be mapped (the caller then streams the file). Dispose it when the bytes are sent.
    /// </summary>
    public ModuleContent? TryOpenContent(ModuleDigest digest)
    {
        if (!_slots.TryGetValue(digest, out var slot))
        {
            return null;
        }

        var mapped = slot.Map();
        if (slot.Tampered)
        {
            // Replaced or rewritten since it was verified: not the module. Forget it (the next pass fetches it again) and
            // remove the file, which HostPath sidecars would otherwise read.
            if (_slots.TryRemove(new KeyValuePair<ModuleDigest, Slot>(digest, slot)))
            {
                slot.Retire();
                TryDelete(slot.Entry.Path);
            }

            return null;
        }

        return mapped is not null && mapped.TryAcquire() ? new ModuleContent(slot.Entry, mapped) : null;
    }

    /// <summary>Records a use, for least-recently-used eviction.</summary>
    public void Touch(ModuleDigest digest)
    {
        if (_slots.TryGetValue(digest, out var slot))
        {
            slot.LastUsed = _timeProvider.GetUtcNow();
        }
    }

    public IReadOnlyList<StoredModule> List() =>
        [.. _slots.Values.Select(s => new StoredModule(s.Entry, s.LastUsed))];

    /// <summary>
    /// Writes a module: <paramref name="writeContent"/> streams the bytes into a temp file, which is
    /// hashed on the way, flushed, checked against <paramref name="expected"/>, made read-only and
    /// renamed into place; the directory is flushed last. On any failure the temp file is removed.
    /// </summary>
    public async Task<ModuleEntry> StoreAsync(
        ModuleDigest expected,
        long maxBytes,
        Func<Stream, CancellationToken, Task> writeContent,
        CancellationToken cancellationToken)
    {
        if (TryGet(expected, out var existing))
        {
            return existing;
        }

        var finalPath = System.IO.Path.Combine(Path, expected.Hex);
        var tempPath = System.IO.Path.Combine(Path, $"{TempPrefix}{expected.Hex}-{Guid.NewGuid():N}");
        try
        {
            var file = new FileStream(tempPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            });
            ModuleDigest actual;
            long length;
            await using (file)
            {
                using var hashing = new BoundedHashingStream(file, maxBytes);
                await writeContent(hashing, cancellationToken);
                await hashing.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
                actual = hashing.GetDigest();
                length = hashing.BytesWritten;
            }

            if (actual != expected)
            {
                throw new ModuleIntegrityException(
                    $"The fetched module hashes to sha256:{actual.Hex}, not the expected sha256:{expected.Hex}; it was discarded. " +
                    "The registry served different content than the image was resolved to: re-resolve the image or check the registry.");
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tempPath, ReadOnlyMode);
            }

            // Content-addressed: if another process won the race the file it wrote has the same bytes.
            File.Move(tempPath, finalPath, overwrite: true);
            DirectorySync.Flush(Path);
            var entry = new ModuleEntry(expected, finalPath, length);
            Add(entry, File.GetLastWriteTimeUtc(finalPath));
            return entry;
        }
        catch (IOException ex) when (ex.HResult is NoSpace or QuotaExceededLinux or QuotaExceededMacOS)
        {
            // .NET's message names the temp file, a new random name each attempt: every retry would be another Warning Event.
            throw new IOException(
                $"The module directory {Path} is full: no room to store module sha256:{expected.Hex} ({(ex.HResult == NoSpace ? "No space left on device" : "Disk quota exceeded")}). " +
                "Free space on its file system or give --directory a larger volume; the fetch is retried.",
                ex);
        }
        finally
        {
            TryDelete(tempPath);
        }
    }

    /// <summary>
    /// Drops from the index each module whose file is gone or no longer has its length or modification time (removed,
    /// truncated, replaced or rewritten by hand or by a node clean-up). Sidecars read the file by name, so such a module is
    /// not held: it leaves the readiness record and is fetched again. A stat per module; the content is hashed at start
    /// and when the file is first served.
    /// </summary>
    public IReadOnlyList<ModuleDigest> ForgetMissing()
    {
        var missing = new List<ModuleDigest>();
        foreach (var (digest, slot) in _slots)
        {
            var file = new FileInfo(slot.Entry.Path);
            if ((!file.Exists || file.Length != slot.Entry.Length || file.LastWriteTimeUtc != slot.WriteTime) && _slots.TryRemove(digest, out var removed))
            {
                removed.Retire();
                missing.Add(digest);
            }
        }

        return missing;
    }

    /// <summary>Removes a module from disk and from the index.</summary>
    public bool Remove(ModuleDigest digest)
    {
        if (!_slots.TryRemove(digest, out var slot))
        {
            return false;
        }

        // Requests already sending the module finish from the mapping; the file's blocks are freed after them.
        slot.Retire();
        File.Delete(slot.Entry.Path);
        DirectorySync.Flush(Path);
        return true;
    }

    /// <summary>Releases the directory for another cache.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>The file's sha256, or null when it cannot be read (no permission, a dangling link).</summary>
    private static async Task<ModuleDigest?> TryHashFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return ModuleDigest.FromHash(await SHA256.HashDataAsync(stream, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next start-up scan, which removes temp files.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Add(ModuleEntry entry, DateTime writeTime) =>
        _slots[entry.Digest] = new Slot(entry, writeTime) { LastUsed = _timeProvider.GetUtcNow() };

    private sealed class Slot(ModuleEntry entry, DateTime writeTime)
    {
        private readonly Lock _lock = new();
        private MappedModule? _mapped;
        private bool _retired;

        public ModuleEntry Entry { get; } = entry;

        /// <summary>The file's modification time when it was verified; another one means it was rewritten since.</summary>
        public DateTime WriteTime { get; } = writeTime;

        /// <summary>True once mapping found that the file no longer holds the module.</summary>
        public bool Tampered { get; private set; }

        /// <summary>The mapping, made on first use; null once retired or when the file cannot be mapped.</summary>
        public MappedModule? Map()
        {
            if (Volatile.Read(ref _mapped) is { } mapped)
            {
                return mapped;
            }

            lock (_lock)
            {
                try
                {
                    return _retired || Tampered ? null : _mapped ??= MappedModule.TryMap(Entry);
                }
                catch (ModuleIntegrityException)
                {
                    Tampered = true;
                    return null;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Removed or unreadable under us: the request streams the file, or gets its error, as before.
                    return null;
                }
            }
        }

        public void Retire()
        {
            lock (_lock)
            {
                _retired = true;
                _mapped?.Release();
                _mapped = null;
            }
        }

        private long _lastUsedTicks;

        // Touched from request threads while the eviction loop reads it: keep it one atomic word.
        public DateTimeOffset LastUsed
        {
            get => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _lastUsedTicks, value.UtcTicks);
        }
    }
}

/// <summary>A stored module with the time it was last served or wanted.</summary>
public sealed record StoredModule(ModuleEntry Entry, DateTimeOffset LastUsed);

/// <summary>What the start-up scan found and repaired.</summary>
public sealed record ScanReport(int Kept, IReadOnlyList<string> RemovedTempFiles, IReadOnlyList<string> RemovedCorruptFiles, IReadOnlyList<string> IgnoredFiles);
