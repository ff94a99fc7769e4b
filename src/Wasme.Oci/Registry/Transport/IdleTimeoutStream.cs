namespace Wasme.Oci.Registry.Transport;

/// <summary>
/// A response body whose every read must make progress within the idle timeout; a stall becomes
/// the exception <paramref name="stalled"/> builds (naming what was being read, the host and the flag).
/// Owns the body and the timeout.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, IdleTimeout idle, Func<Exception, Exception> stalled) : Stream
{
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
        idle.Restart();
        try
        {
            if (!cancellationToken.CanBeCanceled)
            {
                return await inner.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
            return await inner.ReadAsync(buffer, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (idle.Expired(cancellationToken))
        {
            throw stalled(ex);
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
