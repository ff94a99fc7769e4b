using System.Text.Json.Serialization;

namespace Wasme.Signing.Keys;

/// <summary>
/// The JSON inside cosign's <c>ENCRYPTED SIGSTORE PRIVATE KEY</c> PEM block (go-securesystemslib's
/// "encrypted" format): scrypt parameters and salt, the secretbox nonce, and the sealed PKCS#8 key.
/// </summary>
internal sealed record EncryptedKeyEnvelope
{
    [JsonPropertyName("kdf")]
    public required KdfSection Kdf { get; init; }

    [JsonPropertyName("cipher")]
    public required CipherSection Cipher { get; init; }

    [JsonPropertyName("ciphertext")]
    public required byte[] Ciphertext { get; init; }

    internal sealed record KdfSection
    {
        [JsonPropertyName("name")]
        public required string Name { get; init; }

        [JsonPropertyName("params")]
        public required ScryptParameters Params { get; init; }

        [JsonPropertyName("salt")]
        public required byte[] Salt { get; init; }
    }

    internal sealed record ScryptParameters
    {
        [JsonPropertyName("N")]
        public int N { get; init; }

        [JsonPropertyName("r")]
        public int R { get; init; }

        [JsonPropertyName("p")]
        public int P { get; init; }
    }

    internal sealed record CipherSection
    {
        [JsonPropertyName("name")]
        public required string Name { get; init; }

        [JsonPropertyName("nonce")]
        public required byte[] Nonce { get; init; }
    }
}
