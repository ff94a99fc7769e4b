using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Wasme.Oci.Errors;

namespace Wasme.Oci.References;

/// <summary>
/// A validated <c>sha256:&lt;64 lowercase hex&gt;</c> content digest. Only sha256 is accepted, so
/// <see cref="Hex"/> is always safe to use as a file name.
/// </summary>
public sealed record Digest
{
    public const string Sha256Algorithm = "sha256";

    private Digest(string hex) => Hex = hex;

    /// <summary>64 lowercase hex characters.</summary>
    public string Hex { get; }

    public static Digest Parse(string value) =>
        TryParse(value, out var digest)
            ? digest
            : throw new OciUsageException(
                $"'{value}' is not a valid digest: expected 'sha256:' followed by 64 lowercase hex characters.");

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out Digest? digest)
    {
        digest = null;
        if (value is null || !value.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return false;
        }

        var hex = value.AsSpan(7);
        if (!IsLowerHex64(hex))
        {
            return false;
        }

        digest = new Digest(hex.ToString());
        return true;
    }

    /// <summary>Parses bare hex (as in <c>/sha256/&lt;hex&gt;</c> URLs and file names).</summary>
    public static bool TryParseHex([NotNullWhen(true)] string? hex, [NotNullWhen(true)] out Digest? digest)
    {
        digest = hex is not null && IsLowerHex64(hex) ? new Digest(hex) : null;
        return digest is not null;
    }

    public static Digest Compute(ReadOnlySpan<byte> content) => Sha256.Compute(content);

    public static async Task<Digest> ComputeAsync(Stream content, CancellationToken cancellationToken) =>
        FromHash(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false));

    /// <summary>Wraps a finished 32-byte SHA-256 hash.</summary>
    public static Digest FromHash(ReadOnlySpan<byte> sha256Hash)
    {
        if (sha256Hash.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("A SHA-256 hash is 32 bytes.", nameof(sha256Hash));
        }

        return new Digest(Convert.ToHexStringLower(sha256Hash));
    }

    public override string ToString() => $"sha256:{Hex}";

    private static bool IsLowerHex64(ReadOnlySpan<char> hex)
    {
        if (hex.Length != 64)
        {
            return false;
        }

        foreach (var c in hex)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
