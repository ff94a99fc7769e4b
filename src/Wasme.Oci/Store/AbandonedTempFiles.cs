namespace Wasme.Oci.Store;

/// <summary>
/// Removes the <c>.tmp-*</c> files that a killed wasme process left in the store. Called by writers
/// under the store's exclusive lock. A temp file is removed only when it is older than
/// <see cref="GracePeriod"/> AND no process holds it: wasme keeps every temp file it writes open with an
/// exclusive <c>flock</c> until it is renamed or deleted (see <see cref="StagedBlobs"/>,
/// <see cref="AtomicFile"/>), so a concurrent pull's temp files are never taken, however old.
/// </summary>
internal static class AbandonedTempFiles
{
    public const string Prefix = ".tmp-";

    /// <summary>Covers the instant between a writer creating its temp file and locking it.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromMinutes(10);

    public static void Remove(IEnumerable<string> directories, DateTimeOffset now)
    {
        foreach (var directory in directories)
        {
            IEnumerable<string> files;
            try
            {
                files = Directory.EnumerateFiles(directory, Prefix + "*").ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var file in files)
            {
                TryRemove(file, now);
            }
        }
    }

    private static void TryRemove(string file, DateTimeOffset now)
    {
        try
        {
            if (now - File.GetLastWriteTimeUtc(file) < GracePeriod)
            {
                return;
            }

            // Fails while the writer holds its lock; deleting while we hold it keeps that writer out.
            using var held = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Held by a live writer, or already gone.
        }
    }
}
