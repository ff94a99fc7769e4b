using System.Buffers;
using System.Text;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// A request path normalized as Istio's default (<c>pathNormalization: BASE</c>, Envoy's <c>normalize_path</c>) normalizes
/// it before any filter: the Chromium URL library's path canonicalization Envoy carries. Escapes of unreserved characters
/// (letters, digits, <c>-</c>, <c>.</c>, <c>_</c>, <c>~</c>) are decoded, every other escape is kept exactly as sent
/// (<c>%2F</c>, <c>%3B</c>, <c>%25</c>), a backslash is a slash, dot segments (<c>%2E</c> read as a dot) are removed, and
/// characters a path may not hold raw are escaped. Nothing is decoded twice.
/// </summary>
internal static class EnvoyPathNormalizer
{
    // Printable ASCII a path keeps as it is: not a dot, '%', '\\', or what MustEscape escapes.
    private static readonly SearchValues<char> s_plain = SearchValues.Create(
        "!$&'()*+,-/0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz~");

    /// <summary>The normalized path, or null where Envoy answers 400 (a NUL, raw or <c>%00</c>).</summary>
    /// <param name="path">The path as the client sent it, without its query.</param>
    public static string? Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Most paths hold nothing to change: no dot, escape, backslash or character to escape.
        if (path.Length > 0 && path[0] == '/' && !path.AsSpan().ContainsAnyExcept(s_plain))
        {
            return path;
        }

        var output = new StringBuilder(path.Length + 1);
        if (path.Length == 0 || !IsSlash(path[0]))
        {
            output.Append('/');
        }

        var pathStart = 0;
        var lastInvalidPercent = int.MinValue;
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            int dots;
            if ((dots = DotLength(path, i)) > 0)
            {
                if (output.Length > pathStart && output[^1] == '/')
                {
                    switch (ClassifyAfterDot(path, i + dots, out var consumed))
                    {
                        case Dot.NotADirectory:
                            output.Append('.');
                            i += dots - 1;
                            break;
                        case Dot.Current:
                            i += dots + consumed - 1;
                            break;
                        case Dot.Up:
                            BackUpToPreviousSlash(output, pathStart);
                            i += dots + consumed - 1;
                            break;
                    }
                }
                else
                {
                    output.Append('.');
                    i += dots - 1;
                }
            }
            else if (c == '\\')
            {
                output.Append('/');
            }
            else if (c == '%')
            {
                if (TryDecode(path, i, out var value))
                {
                    i += 2;
                    if (value == 0)
                    {
                        return null;
                    }

                    if (IsUnreserved(value))
                    {
                        output.Append((char)value);
                        if (lastInvalidPercent >= output.Length - 3)
                        {
                            CheckForNestedEscapes(path, i + 1, lastInvalidPercent, output);
                        }
                    }
                    else
                    {
                        // Kept exactly as sent, hex case included.
                        output.Append(path, i - 2, 3);
                    }
                }
                else
                {
                    lastInvalidPercent = output.Length;
                    output.Append('%');
                }
            }
            else if (c == '\0')
            {
                return null;
            }
            else if (MustEscape(c))
            {
                AppendEscaped(output, c);
            }
            else
            {
                output.Append(c);
            }
        }

        return output.ToString();
    }

    private enum Dot
    {
        NotADirectory,
        Current,
        Up,
    }

    private static bool IsSlash(char c) => c is '/' or '\\';

    // A dot, raw or as %2E: its length in the input, or 0.
    private static int DotLength(string s, int i)
    {
        if (s[i] == '.')
        {
            return 1;
        }

        return s[i] == '%' && i + 2 < s.Length && s[i + 1] == '2' && (s[i + 2] is 'e' or 'E') ? 3 : 0;
    }

    private static Dot ClassifyAfterDot(string s, int afterDot, out int consumed)
    {
        consumed = 0;
        if (afterDot == s.Length)
        {
            return Dot.Current;
        }

        if (IsSlash(s[afterDot]))
        {
            consumed = 1;
            return Dot.Current;
        }

        var second = DotLength(s, afterDot);
        if (second > 0)
        {
            var afterSecond = afterDot + second;
            if (afterSecond == s.Length)
            {
                consumed = second;
                return Dot.Up;
            }

            if (IsSlash(s[afterSecond]))
            {
                consumed = second + 1;
                return Dot.Up;
            }
        }

        return Dot.NotADirectory;
    }

    // The output ends with a slash; drop the last segment before it, never above the first slash.
    private static void BackUpToPreviousSlash(StringBuilder output, int pathStart)
    {
        var i = output.Length - 1;
        if (i == pathStart)
        {
            return;
        }

        i--;
        while (output[i] != '/' && i > pathStart)
        {
            i--;
        }

        output.Length = i + 1;
    }

    // "%%300" must not become "%00" once "%30" is decoded: the earlier '%' is then written as "%25".
    private static void CheckForNestedEscapes(string s, int next, int lastInvalidPercent, StringBuilder output)
    {
        var length = output.Length;
        var lastUnescaped = output[length - 1];
        var appendNext = lastInvalidPercent == length - 2;
        if (appendNext)
        {
            if (next == s.Length || s[next] >= 0x80)
            {
                return;
            }

            output.Append(s[next]);
        }

        if (IsHex(output[lastInvalidPercent + 1]) && IsHex(output[lastInvalidPercent + 2]))
        {
            if (!appendNext)
            {
                output.Append(output[lastInvalidPercent + 1]);
            }

            output[lastInvalidPercent + 1] = '2';
            output[lastInvalidPercent + 2] = '5';
            output.Append(lastUnescaped);
        }
        else if (appendNext)
        {
            output.Length = length;
        }
    }

    private static bool TryDecode(string s, int percent, out int value)
    {
        value = 0;
        if (percent + 2 >= s.Length || !IsHex(s[percent + 1]) || !IsHex(s[percent + 2]))
        {
            return false;
        }

        value = (HexValue(s[percent + 1]) << 4) | HexValue(s[percent + 2]);
        return true;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool IsUnreserved(int c) => char.IsAsciiLetterOrDigit((char)c) || c is '-' or '.' or '_' or '~';

    // Chromium's table: controls, space, " # < > ? ^ ` { | } DEL and everything past ASCII are escaped.
    private static bool MustEscape(char c) =>
        c <= ' ' || c >= 0x7F || c is '"' or '#' or '<' or '>' or '?' or '^' or '`' or '{' or '|' or '}';

    private static void AppendEscaped(StringBuilder output, char c)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var count = Encoding.UTF8.GetBytes([c], utf8);
        foreach (var b in utf8[..count])
        {
            output.Append('%').Append(((int)b).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
