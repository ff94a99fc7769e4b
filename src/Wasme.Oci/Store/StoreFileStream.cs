namespace Wasme.Oci.Store;

/// <summary>
/// A store file handed to a writer (a download, a build): the file system refusing a write (a full disk, a file
/// larger than the file system or <c>ulimit -f</c> allows) becomes the store's own error
/// (<see cref="StoreAccess.Refused"/>), so it is neither mistaken for a broken download and retried nor reported as a bug.
/// Disposing it leaves the file open: its owner (<see cref="StagedBlobs"/>) closes, renames or deletes it.
/// </summary>
internal sealed class StoreFileStream(FileStream inner, string root) : Stream
{
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            inner.Write(buffer);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            throw Refused(ex);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            throw Refused(ex);
        }
    }

    public override void SetLength(long value)
    {
        try
        {
            inner.SetLength(value);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            throw Refused(ex);
        }
    }

    public override void Flush() => Flush(flushToDisk: false);

    public void Flush(bool flushToDisk)
    {
        try
        {
            inner.Flush(flushToDisk);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            throw Refused(ex);
        }
    }

    /// <summary>ENOSPC and EIO are IOExceptions; EFBIG (past the file system's or ulimit's file size) is .NET's ArgumentOutOfRangeException.</summary>
    private static bool IsRefusal(Exception exception) => StoreAccess.IsRefusal(exception) || exception is ArgumentOutOfRangeException;

    private Errors.OciException Refused(Exception exception) => StoreAccess.Refused(
        root,
        exception is ArgumentOutOfRangeException
            ? new IOException("the file system, or the file size limit (ulimit -f), does not allow a file this large", exception)
            : exception);
}
