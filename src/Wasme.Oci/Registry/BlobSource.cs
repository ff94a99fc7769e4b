using System.Buffers;

namespace Wasme.Oci.Registry;

/// <summary>
/// The bytes of a blob to upload, readable again for every attempt: in memory (a freshly packed
/// image) or a file in the local store, which is streamed so a push never holds a module in memory.
/// </summary>
public abstract class BlobSource
{
    private protected BlobSource()
    {
    }

    public abstract long Length { get; }

    public static BlobSource FromMemory(ReadOnlyMemory<byte> content) => new MemoryBlobSource(content);

    /// <summary>A file whose length the caller has checked against the blob's descriptor.</summary>
    public static BlobSource FromFile(string path, long length) => new FileBlobSource(path, length);

    /// <summary>Writes <paramref name="count"/> bytes from <paramref name="offset"/>, reporting the running total after each slice.</summary>
    internal abstract Task WriteToAsync(Stream destination, long offset, long count, Action<long>? sent, CancellationToken cancellationToken);

    private protected const int SliceSize = 256 * 1024;

    private sealed class MemoryBlobSource(ReadOnlyMemory<byte> content) : BlobSource
    {
        public override long Length => content.Length;

        internal override async Task WriteToAsync(Stream destination, long offset, long count, Action<long>? sent, CancellationToken cancellationToken)
        {
            var range = content.Slice((int)offset, (int)count);
            for (var done = 0; done < range.Length;)
            {
                var slice = range.Slice(done, Math.Min(SliceSize, range.Length - done));
                await destination.WriteAsync(slice, cancellationToken).ConfigureAwait(false);
                done += slice.Length;
                sent?.Invoke(done);
            }
        }
    }

    private sealed class FileBlobSource(string path, long length) : BlobSource
    {
        public override long Length => length;

        internal override async Task WriteToAsync(Stream destination, long offset, long count, Action<long>? sent, CancellationToken cancellationToken)
        {
            // Whole slices read from the page cache into one pooled buffer: no copy of the module is
            // held, and no fresh memory is touched per upload. Synchronous reads: the page cache answers
            // at once, and an async read of a plain file would only hop to the thread pool.
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (RandomAccess.GetLength(file) != length)
            {
                throw new IOException($"{path} changed while it was being uploaded ({RandomAccess.GetLength(file)} bytes, expected {length}).");
            }

            var buffer = ArrayPool<byte>.Shared.Rent(SliceSize);
            try
            {
                for (var done = 0L; done < count;)
                {
                    var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(SliceSize, count - done)), offset + done);
                    if (n == 0)
                    {
                        throw new EndOfStreamException($"{path} ended after {offset + done} of {length} bytes while it was being uploaded.");
                    }

                    await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    done += n;
                    sent?.Invoke(done);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
