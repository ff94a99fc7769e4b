using System.Text;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Decodes request <c>Connection</c> values (UTF-8, as every request header) so that Kestrel keeps the header names in
/// them. Kestrel replaces a <c>Connection</c> header whose only option it knows is <c>keep-alive</c>, <c>close</c> or
/// <c>upgrade</c> by that option alone, and <c>x, keep-alive</c> would reach <see cref="ConnectionHeaderSanitizer"/>
/// as <c>keep-alive</c>, with <c>x</c> forwarded. A value that names headers is rewritten to one Kestrel reads the
/// same way but does not reduce: <c>keep-alive</c> is dropped where it changes nothing (HTTP/1.1 keeps connections
/// alive anyway), and added beside <c>close</c> (which wins) or <c>upgrade</c>.
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
        NamesHeaders(bytes, count) ? Rewrite(bytes, count).Length : base.GetCharCount(bytes, count);

    public override unsafe int GetChars(byte* bytes, int byteCount, char* chars, int charCount)
    {
        if (!NamesHeaders(bytes, byteCount))
        {
            return base.GetChars(bytes, byteCount, chars, charCount);
        }

        var rewritten = Rewrite(bytes, byteCount);
        rewritten.AsSpan().CopyTo(new Span<char>(chars, charCount));
        return rewritten.Length;
    }

    /// <summary>The value with <c>keep-alive</c> dropped, or added beside <c>close</c> or <c>upgrade</c>, when it names headers.</summary>
    internal static string Rewrite(string value)
    {
        var tokens = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var names = tokens.Count(t => !IsOption(t));
        if (names == 0)
        {
            return value;
        }

        var closeOrUpgrade = tokens.Any(t => t.Equals("close", StringComparison.OrdinalIgnoreCase) || t.Equals("upgrade", StringComparison.OrdinalIgnoreCase));
        var keepAlive = tokens.Any(t => t.Equals("keep-alive", StringComparison.OrdinalIgnoreCase));
        if (closeOrUpgrade)
        {
            return keepAlive ? value : value + ", keep-alive";
        }

        return keepAlive ? string.Join(", ", tokens.Where(t => !t.Equals("keep-alive", StringComparison.OrdinalIgnoreCase))) : value;
    }

    private static bool IsOption(string token) =>
        token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || token.Equals("close", StringComparison.OrdinalIgnoreCase)
        || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase);

    private static unsafe string Rewrite(byte* bytes, int count) => Rewrite(UTF8.GetString(bytes, count));

    // One token cannot both name a header and hold an option Kestrel would reduce the value to: nothing to rewrite.
    private static unsafe bool NamesHeaders(byte* bytes, int count) => new ReadOnlySpan<byte>(bytes, count).Contains((byte)',');
}
