using System.Security.Cryptography;

namespace Wasme.Signing.Keys;

/// <summary>A key's id: <c>sha256:</c> and the hex SHA-256 of its SPKI, as Rekor names log keys.</summary>
public static class KeyIds
{
    public static string Of(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return $"sha256:{Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))}";
    }
}
