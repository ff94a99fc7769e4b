using Wasme.Oci.Errors;

namespace Wasme.Oci.Store;

/// <summary>
/// A cross-process reader/writer lock on the store's lock file. .NET on Unix takes <c>flock</c> when it
/// opens a file: <see cref="FileShare.None"/> takes it exclusive, any other share mode shared, so
/// writers exclude everyone and readers exclude only writers, across processes and store instances.
/// Only a lock held by another process is waited for; any other failure to open the file (a symbolic
/// link loop, a directory in its place, no permission) is reported at once, and a lock held past
/// <see cref="LongestWait"/> (its holder stopped with Ctrl-Z, or hung) fails naming the file, never waited on forever.
/// </summary>
internal sealed class StoreLock : IAsyncDisposable
{
    private readonly FileStream? _stream;

    private StoreLock(FileStream? stream) => _stream = stream;

    /// <summary>
    /// Longest wait for a lock another process holds. wasme holds its locks for milliseconds (an index write, renames,
    /// a collection), so a minute of waiting means the holder is not running; failing says so where waiting would hang.
    /// </summary>
    public static TimeSpan LongestWait { get; } = TimeSpan.FromMinutes(1);

    /// <summary>For index updates, blob commits and garbage collection.</summary>
    public static async Task<StoreLock> AcquireExclusiveAsync(string path, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireAsync(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path, "store", timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreAccess.IsRefusal(ex))
        {
            throw StoreAccess.Refused(Path.GetDirectoryName(path)!, ex);
        }
    }

    /// <summary>
    /// For reading the index and then the blobs it names, so a concurrent <c>rmi</c> cannot delete them
    /// in between. A store the user may read but not write (no lock file, read-only) is read unlocked.
    /// </summary>
    public static async Task<StoreLock> AcquireSharedAsync(string path, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireAsync(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite), path, "store", timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (UnauthorizedAccessException)
        {
            return new StoreLock(null);
        }
        catch (Exception ex) when (StoreAccess.IsRefusal(ex))
        {
            throw StoreAccess.Refused(Path.GetDirectoryName(path)!, ex);
        }
    }

    /// <summary>An exclusive lock on any lock file (created when missing) guarding <paramref name="guarded"/>; open errors surface as they are.</summary>
    public static Task<StoreLock> AcquireFileAsync(string path, string guarded, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        AcquireAsync(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path, guarded, timeProvider, cancellationToken);

    private static async Task<StoreLock> AcquireAsync(Func<FileStream> open, string path, string guarded, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        long? heldSince = null;
        while (true)
        {
            try
            {
                return new StoreLock(open());
            }
            catch (IOException ex) when (HeldByAnotherProcess(ex))
            {
                // Another process holds it; index updates take milliseconds.
                heldSince ??= timeProvider.GetTimestamp();
                if (timeProvider.GetElapsedTime(heldSince.Value) >= LongestWait)
                {
                    throw new OciLockHeldException(
                        $"Another process has held the lock {path} for {LongestWait.TotalSeconds:0} s, where wasme holds it for milliseconds: " +
                        $"a command using the same {guarded} is stopped (Ctrl-Z) or hung. Find it with 'fuser -v {path}' (or 'lsof {path}'), " +
                        "let it finish or end it, and run this command again.",
                        ex);
                }

                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
            }
        }
    }

    /// <summary>
    /// The open failed because another process holds the lock: flock's EWOULDBLOCK (errno 11 on Linux,
    /// 35 on macOS, which .NET puts in HResult), or Windows' sharing or lock violation.
    /// </summary>
    private static bool HeldByAnotherProcess(IOException exception) =>
        exception is not (FileNotFoundException or DirectoryNotFoundException)
        && (exception.HResult & 0xFFFF) is 11 or 35 or 32 or 33;

    public ValueTask DisposeAsync() => _stream?.DisposeAsync() ?? ValueTask.CompletedTask;
}
