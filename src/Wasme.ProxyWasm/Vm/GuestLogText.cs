using System.Globalization;
using System.Text;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Turns what a guest logs into one safe log line: at most the plugin's <see cref="PluginLimits.MaxLogMessageBytes"/>,
/// and no control characters, so a filter can neither flood the log nor forge lines (CR/LF) or drive a terminal (ESC).
/// </summary>
internal static class GuestLogText
{
    /// <summary>Formats the first bytes of a message; <paramref name="length"/> is its whole length.</summary>
    public static string Format(ReadOnlySpan<byte> kept, long length)
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
