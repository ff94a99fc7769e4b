using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Wasme.Oci.References;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keyless;
using Wasme.Signing.Transparency;

namespace Wasme.Signing.Verification;

/// <summary>
/// Judges one signature against a policy and the digest it must be for. Pure: no I/O, no clock
/// (keyless certificates are judged at the time Rekor logged the signature).
/// </summary>
internal static class SignatureCheck
{
    /// <summary>The signer ("key sha256:…" or "subject from issuer") when the signature satisfies the policy; otherwise the rejection.</summary>
    public static (string? Signer, SignatureRejection? Rejection) Evaluate(SignatureEvidence evidence, Digest manifestDigest, VerificationPolicy policy, IReadOnlyList<(string Pem, ECDsa Key, string Id)> keys)
    {
        SignatureRejection Reject(VerificationFailureReason reason, string message) => new(evidence.Source, reason, message);

        if (evidence.Problem is { } problem || evidence.Signature is null)
        {
            return (null, Reject(VerificationFailureReason.MalformedSignature, $"the signature cannot be read: {evidence.Problem ?? "it has no signature"}"));
        }

        string signer;
        if (evidence.Certificate is { } certificate)
        {
            var (keylessSigner, rejection) = EvaluateKeyless(evidence, certificate, policy);
            if (rejection is not null)
            {
                return (null, Reject(rejection.Value.Reason, rejection.Value.Message));
            }

            signer = keylessSigner!;
        }
        else
        {
            if (keys.Count == 0)
            {
                return (null, Reject(VerificationFailureReason.WrongKey, $"it was made with a key{Hint(evidence)}, and the policy names no public key (--key, or publicKeys in a FilterDeployment)"));
            }

            var match = keys.FirstOrDefault(k => VerifyEcdsa(k.Key, evidence.Payload.Span, evidence.Signature));
            if (match.Key is null)
            {
                return keys.Any(k => k.Id == evidence.KeyHint)
                    ? (null, Reject(VerificationFailureReason.TamperedPayload, $"the signature does not verify with {evidence.KeyHint}, the key it names as its signer: its payload or its signature was changed after signing. Sign the image again"))
                    : (null, Reject(VerificationFailureReason.WrongKey, $"it was not made by {DescribeKeys(keys)}{(evidence.KeyHint is null ? " (signed with another key, or the payload was changed after signing)" : $" but by {evidence.KeyHint}")}"));
            }

            signer = $"key {match.Id}";
        }

        // Only now is the payload trusted enough to read: it says which image was signed.
        if (RepeatedJsonNames.Find(evidence.Payload.Span) is { } repeated)
        {
            return (null, Reject(VerificationFailureReason.MalformedSignature, $"the signed payload names '{repeated}' twice in one object, which JSON readers (wasme's, cosign's) resolve differently; refused rather than guessed"));
        }

        var payload = SimpleSigningPayload.TryParse(evidence.Payload.Span);
        if (payload is null)
        {
            return (null, Reject(VerificationFailureReason.MalformedSignature, "the signed payload is not a cosign simple-signing claim"));
        }

        if (payload.Critical.Image.DockerManifestDigest != manifestDigest.ToString())
        {
            return (null, Reject(VerificationFailureReason.DigestMismatch, $"it is a valid signature by {signer} for another image digest ({payload.Critical.Image.DockerManifestDigest}), not {manifestDigest}"));
        }

        return (signer, null);
    }

    private static (string? Signer, (VerificationFailureReason Reason, string Message)? Rejection) EvaluateKeyless(SignatureEvidence evidence, X509Certificate2 certificate, VerificationPolicy policy)
    {
        var issuer = FulcioCertificate.Issuer(certificate) ?? "(no issuer)";
        var subjects = FulcioCertificate.Subjects(certificate);
        var who = $"{(subjects.Count == 0 ? "(no subject)" : string.Join(", ", subjects))} from {issuer}";
        if (policy.Identities.Count == 0 || policy.TrustedRoot is null)
        {
            return (null, (VerificationFailureReason.WrongKey, $"it is a keyless signature by {who}, and the policy names no keyless identity (--certificate-identity, --certificate-oidc-issuer and --trust-root, or identities in a FilterDeployment)"));
        }

        ECDsa? key;
        try
        {
            key = certificate.GetECDsaPublicKey();
        }
        catch (CryptographicException ex)
        {
            // The certificate is whatever the .sig annotation holds until the chain is checked, which needs this key first.
            return (null, (VerificationFailureReason.MalformedSignature, $"its certificate's public key cannot be read ({ex.Message})"));
        }

        using var _ = key;
        if (key is null)
        {
            return (null, (VerificationFailureReason.MalformedSignature, "its certificate does not hold an ECDSA key"));
        }

        if (!VerifyEcdsa(key, evidence.Payload.Span, evidence.Signature!))
        {
            return (null, DiagnoseKeylessMismatch(evidence, certificate, policy.TrustedRoot, who));
        }

        if (evidence.Tlog is not { } tlog)
        {
            return (null, (VerificationFailureReason.BadTransparencyLogEntry, "it has no Rekor transparency-log entry, which keyless signatures need"));
        }

        if (TransparencyLogCheck.Check(tlog, evidence, certificate, policy.TrustedRoot) is { } tlogProblem)
        {
            return (null, (VerificationFailureReason.BadTransparencyLogEntry, tlogProblem));
        }

        var at = tlog.IntegratedAt;
        if (at < certificate.NotBefore.ToUniversalTime() || at > certificate.NotAfter.ToUniversalTime())
        {
            var (from, to) = (certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
            return (null, (VerificationFailureReason.CertificateExpired, at < from
                ? $"the certificate of {who} was not yet valid when the signature was logged at {at:u} (valid from {from:u} to {to:u}): the clocks of the log and the certificate authority disagree, or the entry is not this certificate's. Sign again"
                : $"the certificate of {who} had expired when the signature was logged at {at:u} (valid from {from:u} to {to:u}): it proves nothing about when it was made. Sign again, so the signature is logged within the certificate's minutes"));
        }

        if (FulcioCertificate.CheckChain(certificate, evidence.Chain, policy.TrustedRoot, at) is { } chainProblem)
        {
            return (null, (VerificationFailureReason.UntrustedCertificate, $"the certificate of {who} is not trusted: {chainProblem}"));
        }

        if (!policy.Identities.Any(i => i.Matches(issuer, subjects)))
        {
            var hint = policy.Identities.Select(i => i.ExplainPartialMatch(issuer, subjects)).FirstOrDefault(h => h is not null);
            return (null, (VerificationFailureReason.IdentityMismatch, $"it was signed by {who}, not by {string.Join(" or ", policy.Identities)}{(hint is null ? string.Empty : $"; {hint}")}"));
        }

        return (who, null);
    }

    // The signature does not verify with the certificate's key. A Rekor entry a trusted log signed records the payload hash,
    // signature and certificate as they were logged: what differs from it is what was changed. Without one, say what is known.
    private static (VerificationFailureReason, string) DiagnoseKeylessMismatch(SignatureEvidence evidence, X509Certificate2 certificate, Bundles.TrustedRoot trustedRoot, string who)
    {
        var notVerified = $"the signature does not verify with the key of the certificate it carries ({who})";
        var differences = evidence.Tlog is { } tlog ? TransparencyLogCheck.Differences(tlog, evidence, certificate, trustedRoot) : null;
        return differences switch
        {
            { Payload: true, Signature: false, Certificate: false } => (VerificationFailureReason.TamperedPayload,
                $"the payload was changed after {who} signed it: {notVerified}, and its Rekor entry records the hash of another payload. Sign the image again"),
            { Payload: false, Signature: false, Certificate: true } => (VerificationFailureReason.InvalidSignature,
                $"{notVerified}: the certificate was swapped, its Rekor entry records another one. Attach the certificate that made the signature, or sign again"),
            { Payload: false, Signature: true } => (VerificationFailureReason.InvalidSignature,
                $"{notVerified}: the signature was replaced, its Rekor entry records another one. Sign the image again"),
            _ => (VerificationFailureReason.InvalidSignature,
                $"{notVerified}: the payload, the signature or the certificate was changed after signing (no Rekor entry a trusted log signed tells which). Sign the image again"),
        };
    }

    public static bool VerifyEcdsa(ECDsa key, ReadOnlySpan<byte> payload, byte[] signature)
    {
        try
        {
            // As sigstore pairs them: P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512.
            var hash = key.KeySize switch { > 384 => HashAlgorithmName.SHA512, > 256 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA256 };
            return key.VerifyData(payload, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static string Hint(SignatureEvidence evidence) => evidence.KeyHint is null ? string.Empty : $" ({evidence.KeyHint})";

    private static string DescribeKeys(IReadOnlyList<(string Pem, ECDsa Key, string Id)> keys) =>
        keys.Count == 1 ? $"the given key {keys[0].Id}" : $"any of the {keys.Count} given keys";
}
