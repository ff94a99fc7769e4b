using System.Text.Json.Serialization;

namespace Wasme.Signing.Bundles;

/// <summary>
/// Sigstore's trusted root (<c>dev.sigstore.trustroot.v1.TrustedRoot</c>, protobuf JSON): the
/// certificate authorities (Fulcio) and transparency logs (Rekor) whose keys keyless verification
/// trusts, each for a period. Read from a file: verification needs no network.
/// </summary>
public sealed record TrustedRoot
{
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("tlogs")]
    public IReadOnlyList<TransparencyLogInstance>? Tlogs { get; init; }

    [JsonPropertyName("certificateAuthorities")]
    public IReadOnlyList<CertificateAuthority>? CertificateAuthorities { get; init; }

    [JsonPropertyName("ctlogs")]
    public IReadOnlyList<TransparencyLogInstance>? Ctlogs { get; init; }
}

public sealed record TransparencyLogInstance
{
    [JsonPropertyName("baseUrl")]
    public string? BaseUrl { get; init; }

    [JsonPropertyName("hashAlgorithm")]
    public string? HashAlgorithm { get; init; }

    [JsonPropertyName("publicKey")]
    public required TrustedPublicKey PublicKey { get; init; }

    [JsonPropertyName("logId")]
    public required BundleLogId LogId { get; init; }
}

public sealed record TrustedPublicKey
{
    [JsonPropertyName("rawBytes")]
    public required byte[] RawBytes { get; init; }

    [JsonPropertyName("keyDetails")]
    public string? KeyDetails { get; init; }

    [JsonPropertyName("validFor")]
    public ValidityPeriod? ValidFor { get; init; }
}

public sealed record ValidityPeriod
{
    [JsonPropertyName("start")]
    public DateTimeOffset? Start { get; init; }

    [JsonPropertyName("end")]
    public DateTimeOffset? End { get; init; }

    public bool Contains(DateTimeOffset time) => (Start is null || time >= Start) && (End is null || time <= End);
}

public sealed record CertificateAuthority
{
    [JsonPropertyName("uri")]
    public string? Uri { get; init; }

    [JsonPropertyName("certChain")]
    public required BundleCertificateChain CertChain { get; init; }

    [JsonPropertyName("validFor")]
    public ValidityPeriod? ValidFor { get; init; }
}
