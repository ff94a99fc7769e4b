using System.Diagnostics.CodeAnalysis;

namespace Wasme.ProxyWasm;

/// <summary>
/// A data plane's own headers (for example a server's parsed request) as a <see cref="HeaderMap"/> made over it reads
/// them: in place, the way Envoy's host reads its live header maps. A filter that only looks headers up costs no copy,
/// however many headers the request carries; the map copies the entries in when a filter first changes or lists them.
/// </summary>
/// <remarks>Implementations present Envoy's view: lower-case names, one entry per value, pseudo headers first.</remarks>
public abstract class HeaderSource
{
    /// <summary>Number of entries, counting every value of a repeated name (the count callbacks pass to the filter).</summary>
    public abstract int Count { get; }

    /// <summary>The first value of <paramref name="loweredName"/>, a lower-case name.</summary>
    public abstract bool TryGetValue(string loweredName, [NotNullWhen(true)] out string? value);

    /// <summary>
    /// The first value of an ASCII name given as the guest's bytes, in any case. Override it to look names up without
    /// making a string of them; this default lower-cases into a new string.
    /// </summary>
    public virtual bool TryGetValue(ReadOnlySpan<byte> asciiName, [NotNullWhen(true)] out string? value)
    {
        Span<char> lowered = asciiName.Length <= 256 ? stackalloc char[asciiName.Length] : new char[asciiName.Length];
        System.Text.Ascii.ToLower(asciiName, lowered, out var written);
        return TryGetValue(new string(lowered[..written]), out value);
    }

    /// <summary>Adds every entry to <paramref name="map"/>, in the order a filter listing them sees.</summary>
    public abstract void CopyTo(HeaderMap map);
}
