using System.Buffers;

namespace Wasme.ProxyWasm;

/// <summary>
/// A growable byte buffer for a body (or any Proxy-Wasm buffer) the filter may read and rewrite.
/// The data plane fills it, calls the body callback, then forwards <see cref="Span"/>.
/// Backed by pooled arrays; dispose it to return them.
/// </summary>
public sealed class BodyBuffer : IDisposable
{
    /// <summary>Envoy's default <c>per_connection_buffer_limit_bytes</c> (1 MiB).</summary>
    public const int DefaultGuestLimit = 1024 * 1024;

    private byte[] _array;
    private int _length;

    public BodyBuffer()
    {
        _array = [];
    }

    public BodyBuffer(ReadOnlySpan<byte> initial)
        : this()
    {
        Append(initial);
    }

    public int Length => _length;

    /// <summary>
    /// Most bytes a filter may make this buffer hold through <c>proxy_set_buffer_bytes</c>; a write that would grow it
    /// past this is refused. The owner's own appends are not checked: it bounds what it buffers itself (the data plane
    /// answers 413 or 500 past its body limit, as Envoy does).
    /// </summary>
    public int GuestLimit { get; init; } = DefaultGuestLimit;

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, _length);

    public void Append(ReadOnlySpan<byte> data)
    {
        EnsureCapacity(_length + data.Length);
        data.CopyTo(_array.AsSpan(_length));
        _length += data.Length;
    }

    public void Prepend(ReadOnlySpan<byte> data)
    {
        EnsureCapacity(_length + data.Length);
        _array.AsSpan(0, _length).CopyTo(_array.AsSpan(data.Length));
        data.CopyTo(_array);
        _length += data.Length;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes.</summary>
    public void Drain(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, _length);
        _array.AsSpan(count, _length - count).CopyTo(_array);
        _length -= count;
    }

    public void Replace(ReadOnlySpan<byte> data)
    {
        _length = 0;
        Append(data);
    }

    public void Clear() => _length = 0;

    public byte[] ToArray() => Span.ToArray();

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = [];
        _length = 0;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _array.Length)
        {
            return;
        }

        var next = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(256, _array.Length * 2)));
        _array.AsSpan(0, _length).CopyTo(next);
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = next;
    }
}
