namespace Wasme.Oci.Registry.Transport;

/// <summary>
/// A response body that must keep moving: the idle timeout starts afresh only once
/// <see cref="MinimumProgress"/> bytes arrived since it last did, so a body trickled a byte at a time
/// (slowloris) fails within the timeout as surely as one that stops. A stall becomes the exception
/// <paramref name="stalled"/> builds from the cancellation and the bytes that did arrive in that time
/// (naming what was being read, the host and the flag). Owns the body and the timeout.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, IdleTimeout idle, Func<Exception, long, Exception> stalled) : Stream
{
    /// <summary>
    /// What counts as progress within one read timeout: 4 KiB, 137 bytes a second at the default 30 s. Any network
    /// that moves a blob at all moves that; a body that ends sooner needs no more.
    /// </summary>
    public const int MinimumProgress = 4096;

    // The first read starts the countdown afresh: the wait for the headers is over.
    private long _sinceRestart = MinimumProgress;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_sinceRestart >= MinimumProgress)
        {
            _sinceRestart = 0;
            idle.Restart();
        }
        else
        {
            idle.Resume();
        }

        try
        {
            int n;
            if (!cancellationToken.CanBeCanceled)
            {
                n = await inner.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            else
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
                n = await inner.ReadAsync(buffer, both.Token).ConfigureAwait(false);
            }

            _sinceRestart += n;
            return n;
        }
        catch (OperationCanceledException ex) when (idle.Expired(cancellationToken))
        {
            throw stalled(ex, _sinceRestart);
        }
        finally
        {
            idle.Stop();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Everything in Wasme.Oci reads asynchronously; a synchronous reader gets the body without the timeout.
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            idle.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        idle.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
