using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Wasme.ProxyWasm.Abi;

/// <summary>
/// Proxy-Wasm's map serialization: <c>u32 count</c>, then count × (<c>u32 key_len</c>, <c>u32 value_len</c>),
/// then count × (key bytes, NUL, value bytes, NUL); little-endian, lengths exclude the NUL.
/// </summary>
internal static class PairsCodec
{
    public static int SerializedSize(HeaderMap map)
    {
        var size = 4;
        foreach (var pair in map)
        {
            size += 8 + Encoding.UTF8.GetByteCount(pair.Key) + 1 + Encoding.UTF8.GetByteCount(pair.Value) + 1;
        }

        return size;
    }

    /// <summary>Serializes into a pooled array; the caller returns it to <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static byte[] SerializePooled(HeaderMap map, out int length)
    {
        length = SerializedSize(map);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Write(map, buffer.AsSpan(0, length));
        return buffer;
    }

    public static byte[] Serialize(HeaderMap map)
    {
        var buffer = new byte[SerializedSize(map)];
        Write(map, buffer);
        return buffer;
    }

    private static void Write(HeaderMap map, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)map.Count);
        var header = 4;
        var data = 4 + (8 * map.Count);
        foreach (var pair in map)
        {
            var keyLength = Encoding.UTF8.GetBytes(pair.Key, destination[data..]);
            destination[data + keyLength] = 0;
            data += keyLength + 1;
            var valueLength = Encoding.UTF8.GetBytes(pair.Value, destination[data..]);
            destination[data + valueLength] = 0;
            data += valueLength + 1;
            BinaryPrimitives.WriteUInt32LittleEndian(destination[header..], (uint)keyLength);
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(header + 4)..], (uint)valueLength);
            header += 8;
        }
    }

    /// <summary>
    /// Parses a serialized map, lower-casing keys as Envoy does. Returns false for anything malformed:
    /// over-long counts, lengths past the end, missing NULs, trailing bytes, or more than the limits allow.
    /// An empty span, or a single NUL byte, is an empty map.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, int maxBytes, int maxCount, HeaderMap into)
    {
        if (data.Length == 0 || (data.Length == 1 && data[0] == 0))
        {
            return true;
        }

        if (data.Length > maxBytes || data.Length < 4)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (count > (uint)maxCount || count > (uint)((data.Length - 4) / 8))
        {
            return false;
        }

        var header = 4;
        long position = 4 + (8L * count);
        // First pass validates every length so that a bad map leaves `into` untouched.
        for (var i = 0; i < count; i++)
        {
            long keyLength = BinaryPrimitives.ReadUInt32LittleEndian(data[header..]);
            long valueLength = BinaryPrimitives.ReadUInt32LittleEndian(data[(header + 4)..]);
            header += 8;
            if (position + keyLength + 1 + valueLength + 1 > data.Length
                || data[(int)(position + keyLength)] != 0
                || data[(int)(position + keyLength + 1 + valueLength)] != 0)
            {
                return false;
            }

            position += keyLength + 1 + valueLength + 1;
        }

        if (position != data.Length)
        {
            return false;
        }

        header = 4;
        var offset = 4 + (8 * (int)count);
        for (var i = 0; i < count; i++)
        {
            var keyLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[header..]);
            var valueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(header + 4)..]);
            header += 8;
            var key = Encoding.UTF8.GetString(data.Slice(offset, keyLength));
            offset += keyLength + 1;
            var value = Encoding.UTF8.GetString(data.Slice(offset, valueLength));
            offset += valueLength + 1;
            into.AddLowered(HeaderMap.Lower(key), value);
        }

        return true;
    }
}
