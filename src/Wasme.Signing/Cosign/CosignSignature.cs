namespace Wasme.Signing.Cosign;

/// <summary>
/// One signature as cosign attaches it: a layer of the <c>.sig</c> manifest whose blob is the
/// simple-signing payload and whose annotations carry the signature and, for keyless signing, the
/// certificate, chain and Rekor entry.
/// </summary>
public sealed record CosignSignature(ReadOnlyMemory<byte> Payload, IReadOnlyDictionary<string, string> Annotations)
{
    /// <summary>Why the layer's payload could not be read (missing, past its bound, not matching its digest); the payload is then empty.</summary>
    public string? Unreadable { get; init; }

    public string? SignatureBase64 => Annotations.GetValueOrDefault(CosignAnnotations.Signature);

    public string? CertificatePem => Annotations.GetValueOrDefault(CosignAnnotations.Certificate);

    public string? ChainPem => Annotations.GetValueOrDefault(CosignAnnotations.Chain);

    public string? RekorBundleJson => Annotations.GetValueOrDefault(CosignAnnotations.RekorBundle);

    /// <summary>
    /// Who the signature claims made it, unverified: "keyless: subject from issuer", "key sha256:…"
    /// (wasme records its key id), or "key (unnamed)". For listings; only verification says it holds.
    /// </summary>
    public string DescribeClaimedSigner()
    {
        if (CertificatePem is { } pem)
        {
            try
            {
                using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
                var subjects = Keyless.FulcioCertificate.Subjects(certificate);
                return $"keyless: {(subjects.Count == 0 ? "(no subject)" : string.Join(", ", subjects))} from {Keyless.FulcioCertificate.Issuer(certificate) ?? "(no issuer)"}";
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return "keyless: (unreadable certificate)";
            }
        }

        return Annotations.GetValueOrDefault(Verification.SignatureEvidence.KeyIdAnnotation) is { } keyId ? $"key {keyId}" : "key (unnamed)";
    }
}
