using System.Text;

namespace Wasme.ProxyWasm.Grpc;

/// <summary>
/// The <c>upstream</c> argument of <c>proxy_grpc_call</c>/<c>proxy_grpc_stream</c>, read as Envoy reads it: first as a
/// serialized <c>envoy.config.core.v3.GrpcService</c>, and only when that does not parse, as a plain cluster name.
/// Of a GrpcService, <c>envoy_grpc</c> (<c>cluster_name</c>, <c>authority</c>) and <c>initial_metadata</c> are used;
/// <c>google_grpc</c> (Envoy's direct gRPC client) has no counterpart here.
/// </summary>
internal sealed record GrpcServiceTarget(bool IsServiceMessage, string? Cluster, string? Authority, bool HasGoogleGrpc, IReadOnlyList<KeyValuePair<string, string>> InitialMetadata)
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireStartGroup = 3;
    private const int WireEndGroup = 4;
    private const int WireFixed32 = 5;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static GrpcServiceTarget Read(ReadOnlySpan<byte> upstream)
    {
        if (TryParseService(upstream, out var service))
        {
            return service;
        }

        // Not a GrpcService: Envoy takes the bytes as a cluster name.
        return new GrpcServiceTarget(false, Encoding.UTF8.GetString(upstream), null, false, []);
    }

    private static bool TryParseService(ReadOnlySpan<byte> data, out GrpcServiceTarget target)
    {
        target = null!;
        string? cluster = null;
        string? authority = null;
        var google = false;
        var metadata = new List<KeyValuePair<string, string>>();
        var reader = new Reader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (wire == WireLength && field is 1 or 2 or 5)
            {
                if (!reader.TryReadLength(out var body))
                {
                    return false;
                }

                var ok = field switch
                {
                    1 => TryParseEnvoyGrpc(body, ref cluster, ref authority),
                    2 => google = true,
                    _ => TryParseHeaderValue(body, metadata),
                };
                if (!ok)
                {
                    return false;
                }
            }
            else if (!reader.TrySkip(field, wire))
            {
                return false;
            }
        }

        target = new GrpcServiceTarget(true, cluster, authority, google, metadata);
        return true;
    }

    private static bool TryParseEnvoyGrpc(ReadOnlySpan<byte> data, ref string? cluster, ref string? authority)
    {
        var reader = new Reader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (wire == WireLength && field is 1 or 2)
            {
                if (!reader.TryReadLength(out var body) || !TryDecode(body, out var text))
                {
                    return false;
                }

                if (field == 1)
                {
                    cluster = text;
                }
                else
                {
                    authority = text;
                }
            }
            else if (!reader.TrySkip(field, wire))
            {
                return false;
            }
        }

        return true;
    }

    // envoy.config.core.v3.HeaderValue: key = 1, value = 2, raw_value = 3 (bytes, used when value is empty).
    private static bool TryParseHeaderValue(ReadOnlySpan<byte> data, List<KeyValuePair<string, string>> metadata)
    {
        string key = string.Empty;
        string value = string.Empty;
        string? raw = null;
        var reader = new Reader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (wire == WireLength && field is 1 or 2 or 3)
            {
                if (!reader.TryReadLength(out var body))
                {
                    return false;
                }

                if (field == 3)
                {
                    raw = Encoding.UTF8.GetString(body);
                }
                else if (!TryDecode(body, out var text))
                {
                    return false;
                }
                else if (field == 1)
                {
                    key = text;
                }
                else
                {
                    value = text;
                }
            }
            else if (!reader.TrySkip(field, wire))
            {
                return false;
            }
        }

        metadata.Add(new(key, value.Length == 0 && raw is not null ? raw : value));
        return true;
    }

    // proto3 strings must be UTF-8; C++ protobuf refuses the message otherwise.
    private static bool TryDecode(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = s_strictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    /// <summary>Protobuf wire format, just enough to find fields and skip the rest as C++ protobuf does.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool End => _position >= _data.Length;

        public bool TryReadTag(out int field, out int wire)
        {
            field = 0;
            wire = 0;
            if (!TryReadVarint(out var tag) || tag > uint.MaxValue)
            {
                return false;
            }

            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            return field != 0;
        }

        public bool TryReadLength(out ReadOnlySpan<byte> body)
        {
            body = default;
            if (!TryReadVarint(out var length) || length > (ulong)(_data.Length - _position))
            {
                return false;
            }

            body = _data.Slice(_position, (int)length);
            _position += (int)length;
            return true;
        }

        public bool TrySkip(int field, int wire)
        {
            switch (wire)
            {
                case WireVarint:
                    return TryReadVarint(out _);
                case WireFixed64:
                    return TryAdvance(8);
                case WireLength:
                    return TryReadLength(out _);
                case WireFixed32:
                    return TryAdvance(4);
                case WireStartGroup:
                    while (TryReadTag(out var inner, out var innerWire))
                    {
                        if (innerWire == WireEndGroup)
                        {
                            return inner == field;
                        }

                        if (!TrySkip(inner, innerWire))
                        {
                            return false;
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        private bool TryAdvance(int count)
        {
            if (_data.Length - _position < count)
            {
                return false;
            }

            _position += count;
            return true;
        }

        private bool TryReadVarint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    return false;
                }

                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
