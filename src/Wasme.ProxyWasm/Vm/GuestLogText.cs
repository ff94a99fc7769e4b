using System.Globalization;
using System.Text;

namespace Wasme.ProxyWasm;

/// <summary>
/// Turns what a guest logs into one safe log line: at most the plugin's <see cref="PluginLimits.MaxLogMessageBytes"/>,
/// and no control characters, so a filter can neither flood the log nor forge lines (CR/LF) or drive a terminal (ESC).
/// The data plane shows other guest-chosen text (cluster names) the same way.
/// </summary>
public static class GuestLogText
{
    /// <summary>Guest-chosen text for one log line: control characters escaped, cut at <paramref name="maxChars"/>.</summary>
    public static string Show(string text, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = Escape(text.Length > maxChars ? text[..maxChars] : text);
        return text.Length > maxChars
            ? string.Create(CultureInfo.InvariantCulture, $"{escaped}… [cut: {text.Length} characters in all]")
            : escaped;
    }

    /// <summary>Formats the first bytes of a message; <paramref name="length"/> is its whole length.</summary>
    internal static string Format(ReadOnlySpan<byte> kept, long length)
    {
        if (length > kept.Length)
        {
            kept = kept[..CompleteUtf8Length(kept)];
        }

        var text = Encoding.UTF8.GetString(kept);
        var escaped = Escape(text);
        return length > kept.Length
            ? string.Create(CultureInfo.InvariantCulture, $"{escaped}… [cut: {length} bytes in all]")
            : escaped;
    }

    private static string Escape(string text)
    {
        var clean = true;
        foreach (var c in text)
        {
            clean &= !NeedsEscape(c);
        }

        if (clean)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!NeedsEscape(c))
            {
                builder.Append(c);
                continue;
            }

            switch (c)
            {
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>C0 and C1 controls, DEL, and the Unicode line and paragraph separators.</summary>
    private static bool NeedsEscape(char c) => c < ' ' || c is >= '\x7f' and <= '\x9f' || c is '\u2028' or '\u2029';

    /// <summary>Drops a UTF-8 sequence the cut left incomplete, so the line does not end in a replacement character.</summary>
    private static int CompleteUtf8Length(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.Length;
        var back = 0;
        while (back < 3 && end - back - 1 >= 0 && (bytes[end - back - 1] & 0xC0) == 0x80)
        {
            back++;
        }

        var lead = end - back - 1;
        if (lead < 0)
        {
            return end;
        }

        var needed = bytes[lead] switch
        {
            >= 0xF0 => 4,
            >= 0xE0 => 3,
            >= 0xC0 => 2,
            _ => 1,
        };
        return needed > back + 1 ? lead : end;
    }
}
