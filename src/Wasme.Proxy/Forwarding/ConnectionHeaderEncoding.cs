using System.Text;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Decodes request <c>Connection</c> values (UTF-8, as every request header) so that Kestrel keeps the header names in
/// them. Kestrel reads every <c>Connection</c> line for its options (<c>keep-alive</c>, <c>close</c>, <c>upgrade</c>) and,
/// when all the lines together hold exactly one of them, replaces the whole header by that option alone: <c>x, keep-alive</c>
/// on one line, or <c>x</c> and <c>keep-alive</c> on two, would reach <see cref="ConnectionHeaderSanitizer"/> as
/// <c>keep-alive</c>, with <c>x</c> forwarded. Each line is rewritten, on its own (the encoding sees one line at a time),
/// so that the lines together never hold exactly one option while Kestrel still reads them the same way:
/// <c>keep-alive</c> is added beside <c>close</c> (which wins) or <c>upgrade</c>, and dropped from a line with neither
/// (HTTP/1.1 keeps connections alive anyway; an HTTP/1.0 client's keep-alive is therefore not honoured).
/// </summary>
internal sealed class ConnectionHeaderEncoding : UTF8Encoding
{
    public static ConnectionHeaderEncoding Instance { get; } = new();

    private ConnectionHeaderEncoding()
        : base(encoderShouldEmitUTF8Identifier: false)
    {
    }

    /// <summary>The encoding Kestrel should read a request header's value with.</summary>
    public static Encoding For(string headerName) =>
        string.Equals(headerName, "Connection", StringComparison.OrdinalIgnoreCase) ? Instance : UTF8;

    // Kestrel decodes with GetString(span), which sizes the string with GetCharCount and fills it with GetChars.
    public override unsafe int GetCharCount(byte* bytes, int count) =>
        HoldsOption(bytes, count) ? Rewrite(bytes, count).Length : base.GetCharCount(bytes, count);

    public override unsafe int GetChars(byte* bytes, int byteCount, char* chars, int charCount)
    {
        if (!HoldsOption(bytes, byteCount))
        {
            return base.GetChars(bytes, byteCount, chars, charCount);
        }

        var rewritten = Rewrite(bytes, byteCount);
        rewritten.AsSpan().CopyTo(new Span<char>(chars, charCount));
        return rewritten.Length;
    }

    /// <summary>One <c>Connection</c> line with <c>keep-alive</c> added beside <c>close</c> or <c>upgrade</c>, else dropped.</summary>
    internal static string Rewrite(string value)
    {
        var tokens = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var closeOrUpgrade = tokens.Any(t => IsToken(t, "close") || IsToken(t, "upgrade"));
        var keepAlive = tokens.Any(t => IsToken(t, "keep-alive"));
        if (closeOrUpgrade)
        {
            return keepAlive ? value : value + ", keep-alive";
        }

        return keepAlive ? string.Join(", ", tokens.Where(t => !IsToken(t, "keep-alive"))) : value;
    }

    private static bool IsToken(string token, string option) => token.Equals(option, StringComparison.OrdinalIgnoreCase);

    private static unsafe string Rewrite(byte* bytes, int count) => Rewrite(UTF8.GetString(bytes, count));

    // Every option Kestrel reads is spelled with an 'e' ("keep-alive", "close", "upgrade"): a line without one holds
    // none and is decoded as it is.
    private static unsafe bool HoldsOption(byte* bytes, int count)
    {
        var span = new ReadOnlySpan<byte>(bytes, count);
        return span.IndexOfAny((byte)'e', (byte)'E') >= 0;
    }
}
