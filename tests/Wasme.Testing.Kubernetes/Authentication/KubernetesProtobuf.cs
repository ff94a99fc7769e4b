namespace Wasme.Testing.Kubernetes.Authentication;

/// <summary>
/// Reads the few fields that matter from protobuf bodies of the request-only APIs (TokenRequest,
/// SelfSubjectAccessReview): kubectl sends those typed requests as protobuf and does not retry with JSON on a 415.
/// The encoding is Kubernetes' envelope (<c>k8s\0</c> + runtime.Unknown whose field 2 is the object).
/// </summary>
internal static class KubernetesProtobuf
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static bool IsProtobuf(string? contentType) =>
        contentType?.Contains("application/vnd.kubernetes.protobuf", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The encoded object inside the envelope.</summary>
    public static ReadOnlySpan<byte> Unwrap(ReadOnlySpan<byte> body) =>
        body.StartsWith(Magic) ? Field(body[Magic.Length..], 2) : throw new FormatException("not a Kubernetes protobuf envelope");

    /// <summary>The embedded message (or bytes) of field <paramref name="wanted"/>; empty when absent.</summary>
    public static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> message, int wanted)
    {
        var reader = new Reader(message);
        while (reader.Next(out var number, out var wireType, out var bytes, out _))
        {
            if (number == wanted && wireType == 2)
            {
                return bytes;
            }
        }

        return [];
    }

    /// <summary>Every string of field <paramref name="wanted"/> (a repeated string yields several).</summary>
    public static List<string> Strings(ReadOnlySpan<byte> message, int wanted)
    {
        var values = new List<string>();
        var reader = new Reader(message);
        while (reader.Next(out var number, out var wireType, out var bytes, out _))
        {
            if (number == wanted && wireType == 2)
            {
                values.Add(System.Text.Encoding.UTF8.GetString(bytes));
            }
        }

        return values;
    }

    public static string String(ReadOnlySpan<byte> message, int wanted) => Strings(message, wanted) is [.., var last] ? last : "";

    public static ulong? Varint(ReadOnlySpan<byte> message, int wanted)
    {
        ulong? value = null;
        var reader = new Reader(message);
        while (reader.Next(out var number, out var wireType, out _, out var varint))
        {
            if (number == wanted && wireType == 0)
            {
                value = varint;
            }
        }

        return value;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public bool Next(out int number, out int wireType, out ReadOnlySpan<byte> bytes, out ulong varint)
        {
            bytes = [];
            varint = 0;
            number = 0;
            wireType = 0;
            if (_data.IsEmpty)
            {
                return false;
            }

            var key = Varint();
            number = (int)(key >> 3);
            wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    varint = Varint();
                    break;
                case 1:
                    _data = _data[8..];
                    break;
                case 2:
                    var length = checked((int)Varint());
                    bytes = _data[..length];
                    _data = _data[length..];
                    break;
                case 5:
                    _data = _data[4..];
                    break;
                default:
                    throw new FormatException($"unsupported protobuf wire type {wireType}");
            }

            return true;
        }

        private ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = _data[0];
                _data = _data[1..];
                value |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw new FormatException("malformed protobuf varint");
        }
    }
}
