using System.Text.Json.Serialization;

namespace Wasme.Signing.Transparency;

/// <summary>Rekor's <c>hashedrekord</c> entry (v0.0.1): the hash of what was signed, the signature and the verifier (key or certificate PEM).</summary>
public sealed record HashedRekordBody
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("spec")]
    public HashedRekordSpec? Spec { get; init; }

    public sealed record HashedRekordSpec
    {
        [JsonPropertyName("data")]
        public DataSection? Data { get; init; }

        [JsonPropertyName("signature")]
        public SignatureSection? Signature { get; init; }
    }

    public sealed record DataSection
    {
        [JsonPropertyName("hash")]
        public HashSection? Hash { get; init; }
    }

    public sealed record HashSection
    {
        [JsonPropertyName("algorithm")]
        public string? Algorithm { get; init; }

        [JsonPropertyName("value")]
        public string? Value { get; init; }
    }

    public sealed record SignatureSection
    {
        [JsonPropertyName("content")]
        public byte[]? Content { get; init; }

        [JsonPropertyName("publicKey")]
        public PublicKeySection? PublicKey { get; init; }
    }

    public sealed record PublicKeySection
    {
        /// <summary>Base64 of the PEM of the certificate or public key.</summary>
        [JsonPropertyName("content")]
        public byte[]? Content { get; init; }
    }
}
