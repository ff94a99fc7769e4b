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
    private byte[]? _spare;
    private Task<int>? _pendingRead;
    private int _readAhead;
    private bool? _hasTrailers;
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
                var ok = HasTrailers()
                    ? await chain.OnTrailersAsync(direction, _output, cancellationToken)
                    : await chain.OnBodyAsync(direction, ReadOnlyMemory<byte>.Empty, endOfStream: true, _output, cancellationToken);
                ThrowIfReplied(ok);
                continue;
            }

            _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
            int read;
            if (_readAhead > 0)
            {
                (read, _readAhead) = (_readAhead, 0);
            }
            else if (_pendingRead is { } inFlight)
            {
                _pendingRead = null;
                read = await inFlight;
            }
            else
            {
                read = await inner.ReadAsync(_chunk, cancellationToken);
            }

            if (read == 0)
            {
                _innerDone = true;
                continue;
            }

            // Look ahead without waiting: when the end is already here (a small body usually ends in the same
            // read), the filters get the last chunk with end_of_stream, as Envoy delivers a frame that ends the
            // stream - one guest call instead of two. A read that must wait is kept for the next round, so
            // streamed bodies are never held back.
            _spare ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
            var next = inner.ReadAsync(_spare, cancellationToken);
            var endOfStream = false;
            if (!next.IsCompleted)
            {
                _pendingRead = next.AsTask();
            }
            else
            {
                _readAhead = next.GetAwaiter().GetResult();
                if (_readAhead == 0)
                {
                    _innerDone = true;
                    endOfStream = !HasTrailers();
                    _finished = endOfStream;
                }
            }

            // The look-ahead data (or the read in flight) is in _spare: it becomes the next chunk.
            var current = _chunk;
            (_chunk, _spare) = (_spare, current);
            ThrowIfReplied(await chain.OnBodyAsync(direction, current.AsMemory(0, read), endOfStream, _output, cancellationToken));
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
            // A read still in flight writes into _chunk (the buffers were swapped): leave that one to the GC.
            var reading = _pendingRead is { IsCompleted: false };
            if (_chunk is not null && !reading)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
            }

            if (_spare is not null)
            {
                ArrayPool<byte>.Shared.Return(_spare);
            }

            _chunk = _spare = null;

            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // Collects the trailers once: the callback copies them into the stream.
    private bool HasTrailers() => _hasTrailers ??= hasTrailers();

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
