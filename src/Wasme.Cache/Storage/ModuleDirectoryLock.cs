using System.Runtime.InteropServices;

namespace Wasme.Cache.Storage;

/// <summary>
/// An exclusive flock(2) on the module directory itself, held while a cache uses it. A second cache pointed at the same
/// directory by mistake would delete the first one's in-flight temp files in its start-up scan and evict modules the first
/// one serves; it is refused instead. The kernel drops the lock when the process dies, kill -9 included, so a crash never
/// leaves it stale, and no lock file appears in the directory sidecars mount. Linux and macOS; a no-op elsewhere.
/// </summary>
internal sealed partial class ModuleDirectoryLock : IDisposable
{
    private const int ReadOnly = 0;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int WouldBlockLinux = 11;
    private const int WouldBlockMacOS = 35;

    private int _fd;

    private ModuleDirectoryLock(int fd) => _fd = fd;

    /// <summary>Takes the lock; <see cref="ModuleDirectoryAccessException"/> when another process (or another <see cref="ModuleDirectory"/>) holds it.</summary>
    public static ModuleDirectoryLock Acquire(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return new ModuleDirectoryLock(-1);
        }

        // A directory that cannot be opened or a file system without flock: go on unlocked, as before, rather than refuse
        // to start; only a lock another process holds is refused.
        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            return new ModuleDirectoryLock(-1);
        }

        if (Flock(fd, LockExclusive | LockNonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Close(fd);
            if (errno is WouldBlockLinux or WouldBlockMacOS)
            {
                throw new ModuleDirectoryAccessException(
                    $"The module directory {directory} is in use by another wasme cache. Give each cache its own --directory, or stop the other one.");
            }

            return new ModuleDirectoryLock(-1);
        }

        return new ModuleDirectoryLock(fd);
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // Closing the descriptor releases the lock.
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
