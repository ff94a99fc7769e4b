using System.Diagnostics.CodeAnalysis;

namespace Wasme.Cache;

/// <summary>
/// The sha256 of a module's bytes as 64 lowercase hex characters: the file name in the cache
/// directory and the key in <c>/sha256/&lt;hex&gt;</c>. Parsed strictly because it becomes a path.
/// </summary>
public readonly record struct ModuleDigest
{
    private ModuleDigest(string hex) => Hex = hex;

    public string Hex { get; }

    /// <summary>The OCI form, <c>sha256:&lt;hex&gt;</c>.</summary>
    public string OciDigest => "sha256:" + Hex;

    public static bool TryParse([NotNullWhen(true)] string? value, out ModuleDigest digest)
    {
        digest = default;
        if (value is null)
        {
            return false;
        }

        var hex = value.StartsWith("sha256:", StringComparison.Ordinal) ? value["sha256:".Length..] : value;
        if (hex.Length != 64)
        {
            return false;
        }

        foreach (var c in hex)
        {
            // Lowercase only: one canonical spelling per module, so one file and one ETag.
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        digest = new ModuleDigest(hex);
        return true;
    }

    public static ModuleDigest Parse(string value) =>
        TryParse(value, out var digest)
            ? digest
            : throw new FormatException($"'{value}' is not a sha256 digest: expected 64 lowercase hex characters, optionally prefixed with 'sha256:'.");

    public static ModuleDigest FromHash(ReadOnlySpan<byte> sha256) => new(Convert.ToHexStringLower(sha256));

    public override string ToString() => Hex;
}
