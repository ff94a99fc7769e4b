using System.Text;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Strings a guest writes into header maps, kept per VM so that a filter adding the same header on every request
/// (a name, a configured value) makes no new string each time. Direct-mapped by a cheap hash of the bytes and
/// checked byte for byte, so a collision only costs a miss. Short ASCII only: that is what repeats; anything else
/// is decoded as before. Used under the VM's lock.
/// </summary>
internal sealed class GuestStringCache
{
    private const int Slots = 64;
    private const int MaxLength = 128;
    private readonly string?[] _slots = new string?[Slots];

    public string Get(ReadOnlySpan<byte> utf8)
    {
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
        if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
        {
            return cached;
        }

        if (!Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var created = Encoding.ASCII.GetString(utf8);
        _slots[slot] = created;
        return created;
    }

    // Length and three bytes: enough to spread header names and typical values over the slots.
    private static uint Hash(ReadOnlySpan<byte> bytes)
        => (uint)bytes.Length * 31u + bytes[0] * 7u + bytes[bytes.Length / 2] * 131u + bytes[^1] * 1031u;
}
