using System.Buffers;
using System.Text;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Strings a guest writes into header maps, kept per VM so that a filter adding the same header on every request
/// (a name, a configured value) makes no new string each time. Direct-mapped by a cheap hash of the bytes and
/// checked byte for byte, so a collision only costs a miss. Short ASCII only: that is what repeats; anything else
/// is decoded as before. Each cached string carries what the header checks found in it when it was made, so a
/// repeated one is not scanned again. Used under the VM's lock.
/// </summary>
internal sealed class GuestStringCache
{
    private const int Slots = 64;
    private const int MaxLength = 128;
    // What a header may not hold (HeaderValidation), and the upper-case letters a name is lower-cased for (HeaderMap).
    private static readonly SearchValues<byte> s_forbidden = SearchValues.Create("\r\n\0"u8);
    private static readonly SearchValues<byte> s_upper = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ"u8);
    private readonly (string Text, HeaderText Checks)[] _slots = new (string, HeaderText)[Slots];

    public string Get(ReadOnlySpan<byte> utf8) => Get(utf8, out _);

    /// <summary>The string for <paramref name="utf8"/>; <paramref name="checks"/> says what is known of it (nothing for strings not cached).</summary>
    public string Get(ReadOnlySpan<byte> utf8, out HeaderText checks)
    {
        checks = HeaderText.Unchecked;
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (utf8.Length > MaxLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        // A hit needs no separate ASCII check: Ascii.Equals is false for any byte that is not ASCII.
        var slot = (int)(Hash(utf8) % Slots);
        var cached = _slots[slot];
        if (cached.Text is { } text && text.Length == utf8.Length && Ascii.Equals(utf8, text))
        {
            checks = cached.Checks;
            return text;
        }

        if (!Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var created = Encoding.ASCII.GetString(utf8);
        checks = (utf8.ContainsAny(s_forbidden) ? HeaderText.Unchecked : HeaderText.Allowed)
            | (utf8.ContainsAny(s_upper) ? HeaderText.Unchecked : HeaderText.LowerCase);
        _slots[slot] = (created, checks);
        return created;
    }

    // Length and three bytes: enough to spread header names and typical values over the slots.
    private static uint Hash(ReadOnlySpan<byte> bytes)
        => (uint)bytes.Length * 31u + bytes[0] * 7u + bytes[bytes.Length / 2] * 131u + bytes[^1] * 1031u;
}
