using System.Text;

namespace Wasme.Oci.Wasm;

/// <summary>
/// Cursor over a Wasm binary with bounds checks on every read. Every failure is a
/// <see cref="WasmFormatException"/> naming what was being read and where.
/// </summary>
internal ref struct WasmBinaryReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _baseOffset;

    public WasmBinaryReader(ReadOnlySpan<byte> bytes, int baseOffset)
    {
        _bytes = bytes;
        _baseOffset = baseOffset;
    }

    /// <summary>Position relative to the start of the module (not of this reader's span).</summary>
    public readonly int Offset => _baseOffset + Position;

    public int Position { get; private set; }

    public readonly int Remaining => _bytes.Length - Position;

    public readonly bool AtEnd => Position == _bytes.Length;

    public readonly WasmFormatException Error(string message) => new(message, Offset);

    public byte ReadByte(string what)
    {
        if (Position >= _bytes.Length)
        {
            throw Error($"unexpected end while reading {what}");
        }

        return _bytes[Position++];
    }

    public ReadOnlySpan<byte> ReadBytes(int count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw Error($"{what} claims {count} bytes but only {Remaining} remain");
        }

        var slice = _bytes.Slice(Position, count);
        Position += count;
        return slice;
    }

    public void Skip(int count, string what) => ReadBytes(count, what);

    public uint ReadVarUInt32(string what) => (uint)ReadUnsignedLeb(32, what);

    public ulong ReadVarUInt64(string what) => ReadUnsignedLeb(64, what);

    /// <summary>A LEB128 length that must fit in what is left: bounds allocations by the input size.</summary>
    public int ReadLength(string what)
    {
        var value = ReadVarUInt32(what);
        if (value > (uint)Remaining)
        {
            throw Error($"{what} is {value} but only {Remaining} bytes remain");
        }

        return (int)value;
    }

    /// <summary>A vector count; each element takes at least one byte, so a count beyond the remaining bytes is corrupt.</summary>
    public int ReadCount(string what) => ReadLength(what);

    public string ReadName(string what)
    {
        var length = ReadLength($"length of {what}");
        var start = Offset;
        var bytes = ReadBytes(length, what);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new WasmFormatException($"{what} is not valid UTF-8", start);
        }
    }

    /// <summary>Skips a signed LEB128 of at most <paramref name="bits"/> bits.</summary>
    public void SkipVarSigned(int bits, string what)
    {
        var maxBytes = (bits + 6) / 7;
        for (var i = 0; i < maxBytes; i++)
        {
            if ((ReadByte(what) & 0x80) == 0)
            {
                return;
            }
        }

        throw Error($"{what} is longer than {maxBytes} bytes");
    }

    private ulong ReadUnsignedLeb(int bits, string what)
    {
        ulong result = 0;
        var shift = 0;
        var maxBytes = (bits + 6) / 7;
        for (var i = 0; i < maxBytes; i++)
        {
            var b = ReadByte(what);
            var payload = (ulong)(b & 0x7F);
            if (i == maxBytes - 1 && (payload >> (bits - shift)) != 0)
            {
                throw Error($"{what} does not fit in {bits} bits");
            }

            result |= payload << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }

            shift += 7;
        }

        throw Error($"{what} is longer than {maxBytes} bytes");
    }
}
