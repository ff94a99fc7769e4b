using System.Buffers;
using System.Text;

namespace Wasme.Cache.Http;

/// <summary>
/// Recognises the one request the sendfile path serves: a complete <c>GET /sha256/&lt;hex&gt; HTTP/1.1</c> head with
/// one plain Host and nothing that changes the answer (no body, Range, conditionals, Connection other than
/// keep-alive, Upgrade, Expect). It never rejects: anything else, malformed or merely unusual, is left to Kestrel,
/// which answers it exactly as before (400s included). Only the first <see cref="MaxHeadBytes"/> are looked at.
/// </summary>
internal static class HitRequest
{
    public const int MaxHeadBytes = 8 * 1024;

    private static ReadOnlySpan<byte> Prefix => "GET /sha256/"u8;

    private static ReadOnlySpan<byte> Version => " HTTP/1.1\r\n"u8;

    /// <summary>True with the digest and the head's length (through its empty line) when <paramref name="buffer"/> starts with such a request.</summary>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, out ModuleDigest digest, out int headLength)
    {
        if (buffer.IsSingleSegment || buffer.FirstSpan.Length >= MaxHeadBytes)
        {
            return TryParse(buffer.FirstSpan, out digest, out headLength);
        }

        // The transport's blocks are 4 KiB, so a head can straddle two of them.
        Span<byte> copy = stackalloc byte[MaxHeadBytes];
        var length = (int)Math.Min(buffer.Length, MaxHeadBytes);
        buffer.Slice(0, length).CopyTo(copy);
        return TryParse(copy[..length], out digest, out headLength);
    }

    public static bool TryParse(ReadOnlySpan<byte> head, out ModuleDigest digest, out int headLength)
    {
        digest = default;
        headLength = 0;
        if (head.Length > MaxHeadBytes)
        {
            head = head[..MaxHeadBytes];
        }

        var end = head.IndexOf("\r\n\r\n"u8);
        const int RequestLineLength = 12 + 64 + 11;
        if (end < 0 || end + 2 < RequestLineLength || !head.StartsWith(Prefix) || !head[(Prefix.Length + 64)..].StartsWith(Version))
        {
            return false;
        }

        if (!ModuleDigest.TryParse(Encoding.ASCII.GetString(head.Slice(Prefix.Length, 64)), out digest))
        {
            return false;
        }

        var hosts = 0;
        var fields = head[RequestLineLength..(end + 2)];
        while (!fields.IsEmpty)
        {
            var lineEnd = fields.IndexOf("\r\n"u8);
            var line = fields[..lineEnd];
            fields = fields[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]) || !IsFieldValue(line[(colon + 1)..]))
            {
                return false;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                if (++hosts > 1 || !IsHost(value))
                {
                    return false;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "keep-alive"u8))
                {
                    return false;
                }
            }
            else if (ChangesTheAnswer(name))
            {
                return false;
            }
        }

        headLength = end + 4;
        return hosts == 1;
    }

    private static bool ChangesTheAnswer(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "content-length"u8) || Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)
        || Ascii.EqualsIgnoreCase(name, "expect"u8) || Ascii.EqualsIgnoreCase(name, "upgrade"u8)
        || Ascii.EqualsIgnoreCase(name, "range"u8) || Ascii.EqualsIgnoreCase(name, "if-range"u8)
        || Ascii.EqualsIgnoreCase(name, "if-match"u8) || Ascii.EqualsIgnoreCase(name, "if-none-match"u8)
        || Ascii.EqualsIgnoreCase(name, "if-modified-since"u8) || Ascii.EqualsIgnoreCase(name, "if-unmodified-since"u8)
        || Ascii.EqualsIgnoreCase(name, "te"u8) || Ascii.EqualsIgnoreCase(name, "trailer"u8);

    // RFC 9110 token characters.
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
            {
                return false;
            }
        }

        return true;
    }

    // Visible ASCII, spaces and tabs. Bytes past 0x7F are Kestrel's to judge: it decodes them as UTF-8 and answers 400
    // to what is not, so serving them here would answer 200 where Kestrel refuses.
    private static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is < 0x20 and not (byte)'\t' or >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    // A name or IPv4 address, or a bracketed IPv6 literal, then an optional :port of digits: forms Kestrel accepts. It
    // answers 400 to others ("a:b", "[::1", ":80"), so anything else is left to it rather than served.
    private static bool IsHost(ReadOnlySpan<byte> value)
    {
        var hostEnd = value.StartsWith("["u8) ? value.IndexOf((byte)']') + 1 : value.IndexOfAnyExcept(HostNameBytes);
        if (hostEnd < 0)
        {
            hostEnd = value.Length;
        }

        var host = value[..hostEnd];
        var port = value[hostEnd..];
        var hostValid = host.StartsWith("["u8)
            ? host.Length > 2 && !host[1..^1].ContainsAnyExcept(Ipv6LiteralBytes)
            : !host.IsEmpty;
        return hostValid && (port.IsEmpty || (port.Length > 1 && port[0] == (byte)':' && !port[1..].ContainsAnyExceptInRange((byte)'0', (byte)'9')));
    }

    private static readonly SearchValues<byte> HostNameBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"u8);

    private static readonly SearchValues<byte> Ipv6LiteralBytes = SearchValues.Create("0123456789abcdefABCDEF:."u8);
}
