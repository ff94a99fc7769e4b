namespace Wasme.Signing.Cosign;

/// <summary>
/// One signature as cosign attaches it: a layer of the <c>.sig</c> manifest whose blob is the
/// simple-signing payload and whose annotations carry the signature and, for keyless signing, the
/// certificate, chain and Rekor entry.
/// </summary>
public sealed record CosignSignature(ReadOnlyMemory<byte> Payload, IReadOnlyDictionary<string, string> Annotations)
{
    public string? SignatureBase64 => Annotations.GetValueOrDefault(CosignAnnotations.Signature);

    public string? CertificatePem => Annotations.GetValueOrDefault(CosignAnnotations.Certificate);

    public string? ChainPem => Annotations.GetValueOrDefault(CosignAnnotations.Chain);

    public string? RekorBundleJson => Annotations.GetValueOrDefault(CosignAnnotations.RekorBundle);
}
