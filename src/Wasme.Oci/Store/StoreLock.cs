namespace Wasme.Oci.Store;

/// <summary>
/// A cross-process reader/writer lock on the store's lock file. .NET on Unix takes <c>flock</c> when it
/// opens a file: <see cref="FileShare.None"/> takes it exclusive, any other share mode shared, so
/// writers exclude everyone and readers exclude only writers, across processes and store instances.
/// Only a lock held by another process is waited for; any other failure to open the file (a symbolic
/// link loop, a directory in its place, no permission) is reported at once, never waited on forever.
/// </summary>
internal sealed class StoreLock : IAsyncDisposable
{
    private readonly FileStream? _stream;

    private StoreLock(FileStream? stream) => _stream = stream;

    /// <summary>For index updates, blob commits and garbage collection.</summary>
    public static async Task<StoreLock> AcquireExclusiveAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireAsync(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), cancellationToken).ConfigureAwait(false);
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
    public static async Task<StoreLock> AcquireSharedAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireAsync(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite), cancellationToken).ConfigureAwait(false);
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

    /// <summary>An exclusive lock on any lock file (created when missing); open errors surface as they are.</summary>
    public static Task<StoreLock> AcquireFileAsync(string path, CancellationToken cancellationToken) =>
        AcquireAsync(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), cancellationToken);

    private static async Task<StoreLock> AcquireAsync(Func<FileStream> open, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            try
            {
                return new StoreLock(open());
            }
            catch (IOException ex) when (HeldByAnotherProcess(ex))
            {
                // Another process holds it; index updates take milliseconds.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
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
