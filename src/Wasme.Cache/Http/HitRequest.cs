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

    // Visible characters, spaces, tabs and obs-text; never CR, LF, NUL or other controls.
    private static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    // host[:port] of names, IPv4 or a bracketed IPv6 literal; anything fancier is Kestrel's to judge.
    private static bool IsHost(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)'_' or (byte)':' or (byte)'[' or (byte)']'))
            {
                return false;
            }
        }

        return true;
    }
}
