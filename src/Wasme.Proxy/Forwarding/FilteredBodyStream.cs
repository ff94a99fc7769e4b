using System.Buffers;
using Wasme.Proxy.Chain;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// A read-only stream that pulls body data from <paramref name="inner"/>, passes each chunk through the filter
/// chain, and returns what the chain lets through. At the end of the inner stream it delivers end-of-stream (or
/// the trailers) to the filters and returns the data they released.
/// </summary>
internal sealed class FilteredBodyStream(Stream inner, StreamFilterChain chain, StreamDirection direction, Func<bool> hasTrailers) : Stream
{
    private const int ChunkSize = 16 * 1024;
    private readonly BodyBuffer _output = new();
    private int _outputOffset;
    private byte[]? _chunk;
    private bool _innerDone;
    private bool _finished;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var pending = _output.Length - _outputOffset;
            if (pending > 0)
            {
                var count = Math.Min(pending, buffer.Length);
                _output.Memory.Slice(_outputOffset, count).CopyTo(buffer);
                _outputOffset += count;
                if (_outputOffset == _output.Length)
                {
                    _output.Clear();
                    _outputOffset = 0;
                }

                return count;
            }

            if (_finished)
            {
                return 0;
            }

            if (_innerDone)
            {
                _finished = true;
                var ok = hasTrailers()
                    ? await chain.OnTrailersAsync(direction, _output, cancellationToken)
                    : await chain.OnBodyAsync(direction, ReadOnlyMemory<byte>.Empty, endOfStream: true, _output, cancellationToken);
                ThrowIfReplied(ok);
                continue;
            }

            _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
            var read = await inner.ReadAsync(_chunk, cancellationToken);
            if (read == 0)
            {
                _innerDone = true;
                continue;
            }

            ThrowIfReplied(await chain.OnBodyAsync(direction, _chunk.AsMemory(0, read), endOfStream: false, _output, cancellationToken));
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
            _output.Dispose();
            if (_chunk is not null)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = null;
            }

            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void ThrowIfReplied(bool ok)
    {
        if (!ok)
        {
            throw new LocalReplyException();
        }
    }
}

/// <summary>Stops body forwarding because a filter answered the stream itself; the handler sends the local reply.</summary>
internal sealed class LocalReplyException : IOException
{
    public LocalReplyException()
        : base("A filter sent a local reply.")
    {
    }
}
