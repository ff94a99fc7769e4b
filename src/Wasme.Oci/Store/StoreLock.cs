namespace Wasme.Oci.Store;

/// <summary>An exclusive, cross-process lock held by opening a file with <see cref="FileShare.None"/>.</summary>
internal sealed class StoreLock : IAsyncDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    public static async Task<StoreLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                // Another process holds it; index updates take milliseconds.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
            }
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
