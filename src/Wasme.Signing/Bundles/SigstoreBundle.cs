using System.Text.Json.Serialization;

namespace Wasme.Signing.Bundles;

/// <summary>
/// A Sigstore bundle (<c>dev.sigstore.bundle.v1.Bundle</c> in its protobuf JSON form, media types
/// v0.1 to v0.3): a message signature with what verifies it. int64 fields are strings and bytes are
/// base64, as protobuf's JSON mapping writes them; fields at their default (0) may be absent, so they
/// are nullable here (source-generated JSON would overwrite an initializer with null).
/// </summary>
public sealed record SigstoreBundle
{
    public const string MediaTypeV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";
    public const string MediaTypeV02 = "application/vnd.dev.sigstore.bundle+json;version=0.2";
    public const string MediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>v0.3 in the spelling of v0.1 and v0.2, which sigstore-js still reads.</summary>
    public const string MediaTypeV03Legacy = "application/vnd.dev.sigstore.bundle+json;version=0.3";

    /// <summary>
    /// The media types of the versions wasme reads (v0.1 to v0.3; v0.3 also in the older spelling). A later version may
    /// mean something these fields do not say, so it is refused rather than read as one of these.
    /// </summary>
    public static IReadOnlyList<string> KnownMediaTypes { get; } =
    [
        MediaTypeV01,
        MediaTypeV02,
        MediaTypeV03Legacy,
        MediaTypeV03,
    ];

    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("verificationMaterial")]
    public required BundleVerificationMaterial VerificationMaterial { get; init; }

    [JsonPropertyName("messageSignature")]
    public BundleMessageSignature? MessageSignature { get; init; }

    /// <summary>Present in attestation bundles instead of <see cref="MessageSignature"/>; kept only to name it in a refusal.</summary>
    [JsonPropertyName("dsseEnvelope")]
    public System.Text.Json.JsonElement? DsseEnvelope { get; init; }

    /// <summary>Reads a bundle file; throws <see cref="System.Text.Json.JsonException"/> when it is not one.</summary>
    public static SigstoreBundle Parse(ReadOnlySpan<byte> json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, SigningJsonContext.Default.SigstoreBundle)
        ?? throw new System.Text.Json.JsonException("The bundle is JSON null.");

    public byte[] ToJson() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(this, SigningJsonContext.Default.SigstoreBundle);
}

public sealed record BundleVerificationMaterial
{
    [JsonPropertyName("publicKey")]
    public BundlePublicKeyIdentifier? PublicKey { get; init; }

    [JsonPropertyName("certificate")]
    public BundleCertificate? Certificate { get; init; }

    [JsonPropertyName("x509CertificateChain")]
    public BundleCertificateChain? X509CertificateChain { get; init; }

    [JsonPropertyName("tlogEntries")]
    public IReadOnlyList<BundleTlogEntry>? TlogEntries { get; init; }
}

public sealed record BundlePublicKeyIdentifier
{
    [JsonPropertyName("hint")]
    public string? Hint { get; init; }
}

public sealed record BundleCertificate
{
    [JsonPropertyName("rawBytes")]
    public required byte[] RawBytes { get; init; }
}

public sealed record BundleCertificateChain
{
    [JsonPropertyName("certificates")]
    public required IReadOnlyList<BundleCertificate> Certificates { get; init; }
}

public sealed record BundleMessageSignature
{
    [JsonPropertyName("messageDigest")]
    public BundleHash? MessageDigest { get; init; }

    [JsonPropertyName("signature")]
    public required byte[] Signature { get; init; }
}

public sealed record BundleHash
{
    public const string Sha256 = "SHA2_256";

    [JsonPropertyName("algorithm")]
    public required string Algorithm { get; init; }

    [JsonPropertyName("digest")]
    public required byte[] Digest { get; init; }
}

public sealed record BundleTlogEntry
{
    [JsonPropertyName("logIndex")]
    public string? LogIndex { get; init; }

    [JsonPropertyName("logId")]
    public required BundleLogId LogId { get; init; }

    [JsonPropertyName("kindVersion")]
    public BundleKindVersion? KindVersion { get; init; }

    [JsonPropertyName("integratedTime")]
    public string? IntegratedTime { get; init; }

    [JsonPropertyName("inclusionPromise")]
    public BundleInclusionPromise? InclusionPromise { get; init; }

    [JsonPropertyName("inclusionProof")]
    public BundleInclusionProof? InclusionProof { get; init; }

    [JsonPropertyName("canonicalizedBody")]
    public required byte[] CanonicalizedBody { get; init; }
}

public sealed record BundleLogId
{
    [JsonPropertyName("keyId")]
    public required byte[] KeyId { get; init; }
}

public sealed record BundleKindVersion
{
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }
}

public sealed record BundleInclusionPromise
{
    [JsonPropertyName("signedEntryTimestamp")]
    public required byte[] SignedEntryTimestamp { get; init; }
}

public sealed record BundleInclusionProof
{
    [JsonPropertyName("logIndex")]
    public string? LogIndex { get; init; }

    [JsonPropertyName("rootHash")]
    public byte[]? RootHash { get; init; }

    [JsonPropertyName("treeSize")]
    public string? TreeSize { get; init; }

    [JsonPropertyName("hashes")]
    public IReadOnlyList<byte[]>? Hashes { get; init; }

    [JsonPropertyName("checkpoint")]
    public BundleCheckpoint? Checkpoint { get; init; }
}

public sealed record BundleCheckpoint
{
    [JsonPropertyName("envelope")]
    public required string Envelope { get; init; }
}
