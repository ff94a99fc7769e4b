using System.Security.Cryptography;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;

namespace Wasme.Signing.Verification;

/// <summary>
/// Verifies that an image digest carries a signature the policy accepts: cosign signatures attached
/// in the registry (<c>sha256-&lt;hex&gt;.sig</c>), and Sigstore bundles given by the caller.
/// Verification failures are results, not exceptions; registry failures (network, auth) throw
/// <see cref="Wasme.Oci.Errors.OciException"/> as every registry call does.
/// </summary>
public sealed class ImageVerifier(RegistryClient client)
{
    // Most telling first: when every signature fails, the result names the reason a person most needs to see.
    private static readonly VerificationFailureReason[] Precedence =
    [
        VerificationFailureReason.DigestMismatch,
        VerificationFailureReason.IdentityMismatch,
        VerificationFailureReason.CertificateExpired,
        VerificationFailureReason.TamperedPayload,
        VerificationFailureReason.InvalidSignature,
        VerificationFailureReason.UntrustedCertificate,
        VerificationFailureReason.BadTransparencyLogEntry,
        VerificationFailureReason.WrongKey,
        VerificationFailureReason.MalformedSignature,
    ];

    /// <summary>Verifies <paramref name="manifestDigest"/> in <paramref name="repository"/> (its tag or digest is ignored) against the signatures attached in the registry.</summary>
    public Task<VerificationResult> VerifyAsync(ImageReference repository, Digest manifestDigest, VerificationPolicy policy, CancellationToken cancellationToken = default) =>
        VerifyAsync(repository, manifestDigest, policy, [], cancellationToken);

    /// <summary>As above, also trying <paramref name="bundles"/> (e.g. <c>--bundle FILE</c>); their payload is the attached one with the bundle's message digest, or the claim wasme and cosign write for this image.</summary>
    public async Task<VerificationResult> VerifyAsync(ImageReference repository, Digest manifestDigest, VerificationPolicy policy, IReadOnlyList<SigstoreBundle> bundles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(manifestDigest);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(bundles);
        policy.Validate();

        var rejections = new List<SignatureRejection>();
        IReadOnlyList<CosignSignature> attached;
        try
        {
            attached = await new CosignSignatureStore(client).ReadAsync(repository, manifestDigest, cancellationToken).ConfigureAwait(false);
        }
        catch (Wasme.Oci.Errors.OciIntegrityException ex) when (bundles.Count > 0)
        {
            // Whoever can push to the repository can make the .sig tag anything: it must not hide the bundles the caller holds.
            attached = [];
            rejections.Add(new SignatureRejection($"{CosignSignatureStore.SignatureTag(manifestDigest)} tag", VerificationFailureReason.MalformedSignature, ex.Message));
        }

        var evidence = attached.Select(SignatureEvidence.FromCosign).ToList();
        for (var i = 0; i < bundles.Count; i++)
        {
            var source = $"bundle {i + 1}";
            if (Unreadable(bundles[i]) is { } problem)
            {
                rejections.Add(new SignatureRejection(source, VerificationFailureReason.MalformedSignature, problem));
            }
            else if (FindPayload(bundles[i], repository, manifestDigest, attached) is { } payload)
            {
                evidence.Add(SignatureEvidence.FromBundle(bundles[i], payload, source));
            }
            else
            {
                rejections.Add(new SignatureRejection(source, VerificationFailureReason.DigestMismatch,
                    $"the bundle signs a message that is neither a payload attached at {CosignSignatureStore.SignatureTag(manifestDigest)} nor the claim for {manifestDigest} in {repository.Name}: "
                    + "it was made for another digest, or for this one under another repository name (a bundle holds only the claim's hash; verify where it was signed, or copy the .sig tag along with the image)"));
            }
        }

        return Judge(manifestDigest, policy, evidence, rejections);
    }

    internal static VerificationResult Judge(Digest manifestDigest, VerificationPolicy policy, IReadOnlyList<SignatureEvidence> evidence, List<SignatureRejection> rejections)
    {
        if (evidence.Count == 0 && rejections.Count == 0)
        {
            return new VerificationResult
            {
                ManifestDigest = manifestDigest,
                Reason = VerificationFailureReason.NoSignature,
                Message = $"{manifestDigest} is not signed: no signature is attached (tag {CosignSignatureStore.SignatureTag(manifestDigest)}) and no bundle was given. Sign it with 'wasme sign' or cosign.",
            };
        }

        var keys = policy.PublicKeys.Select((pem, i) => (Pem: pem, Key: CosignKeys.ImportPublicKey(pem, $"public key {i + 1}"))).Select(k => (k.Pem, k.Key, KeyIds.Of(k.Key))).ToList();
        try
        {
            foreach (var signature in evidence)
            {
                var (signer, rejection) = SignatureCheck.Evaluate(signature, manifestDigest, policy, keys);
                if (signer is not null)
                {
                    return VerificationResult.Verified(manifestDigest, signer);
                }

                rejections.Add(rejection!);
            }
        }
        finally
        {
            foreach (var (_, key, _) in keys)
            {
                key.Dispose();
            }
        }

        var worst = rejections.OrderBy(r => Array.IndexOf(Precedence, r.Reason)).First();
        var others = rejections.Count > 1 ? $" ({rejections.Count - 1} other signature(s) refused too)" : string.Empty;
        return new VerificationResult
        {
            ManifestDigest = manifestDigest,
            Reason = worst.Reason,
            Message = $"{manifestDigest} failed verification, {Describe(worst.Reason)}: {worst.Source}: {worst.Message}{others}",
            Rejections = rejections,
        };
    }

    /// <summary>A few words per reason, for messages and conditions.</summary>
    public static string Describe(VerificationFailureReason reason) => reason switch
    {
        VerificationFailureReason.NoSignature => "no signature",
        VerificationFailureReason.WrongKey => "wrong key",
        VerificationFailureReason.TamperedPayload => "tampered payload",
        VerificationFailureReason.DigestMismatch => "signature for another digest",
        VerificationFailureReason.IdentityMismatch => "wrong identity",
        VerificationFailureReason.CertificateExpired => "expired or not yet valid certificate",
        VerificationFailureReason.UntrustedCertificate => "untrusted certificate",
        VerificationFailureReason.BadTransparencyLogEntry => "bad transparency log entry",
        VerificationFailureReason.MalformedSignature => "malformed signature",
        VerificationFailureReason.InvalidSignature => "signature does not verify with its certificate",
        _ => reason.ToString(),
    };

    /// <summary>Why wasme cannot read the bundle as an image signature; null when it can.</summary>
    private static string? Unreadable(SigstoreBundle bundle)
    {
        if (!SigstoreBundle.KnownMediaTypes.Contains(bundle.MediaType, StringComparer.Ordinal))
        {
            return $"its media type '{bundle.MediaType}' is not a Sigstore bundle version wasme reads ({string.Join(", ", SigstoreBundle.KnownMediaTypes)})";
        }

        // Nullable annotations do not reach list elements: a null entry is found here, before it is read.
        var material = bundle.VerificationMaterial;
        if (material.TlogEntries?.Any(e => e is null || e.InclusionProof?.Hashes?.Any(h => h is null) == true) == true
            || material.X509CertificateChain?.Certificates.Any(c => c is null) == true)
        {
            return "it has a null where a transparency log entry, an inclusion proof hash or a certificate belongs";
        }

        if (VersionRuleBroken(bundle) is { } broken)
        {
            return broken;
        }

        if (bundle.MessageSignature is not null && bundle.DsseEnvelope is not null)
        {
            return "it holds both a messageSignature and a DSSE envelope, where a bundle holds one";
        }

        if (bundle.MessageSignature is null)
        {
            return bundle.DsseEnvelope is null
                ? "it holds no messageSignature"
                : "it holds a DSSE envelope (an attestation), not a message signature over the image's claim as 'wasme sign' and 'cosign sign' make";
        }

        return null;
    }

    /// <summary>
    /// What the bundle's own version requires and it lacks, as sigstore-js and sigstore-go check it: from v0.2 every log entry
    /// carries its inclusion proof with a checkpoint (only v0.1 rests on the signed entry timestamp alone); v0.3 carries the
    /// leaf certificate alone, never an x509CertificateChain. Null when it keeps them.
    /// </summary>
    private static string? VersionRuleBroken(SigstoreBundle bundle)
    {
        var material = bundle.VerificationMaterial;
        var entries = material.TlogEntries ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            // Not signed, so it proves nothing; but an entry that says one kind and holds another is malformed to every client.
            var (kind, version) = KindAndVersion(entries[i].CanonicalizedBody);
            if (entries[i].KindVersion is not { } said || said.Kind != kind || said.Version != version)
            {
                var says = entries[i].KindVersion is { } kv ? $"has kindVersion {kv.Kind} {kv.Version}" : "has no kindVersion";
                return $"its transparency log entry {i + 1} {says}, and its body is a {kind ?? "(no kind)"} {version ?? "(no apiVersion)"} entry: every entry's kindVersion names its body's kind and version (sigstore-js and cosign refuse it too). Use the bundle as the signer's client wrote it, or sign again";
            }
        }

        if (bundle.MediaType != SigstoreBundle.MediaTypeV01)
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var missing = entries[i].InclusionProof is null ? "no inclusion proof" : entries[i].InclusionProof!.Checkpoint is null ? "an inclusion proof without its checkpoint" : null;
                if (missing is not null)
                {
                    return $"its transparency log entry {i + 1} has {missing}, which a bundle of media type '{bundle.MediaType}' must carry (only v0.1 bundles rest on the signed entry timestamp alone; sigstore-js and cosign refuse it too): use the bundle as the signer's client wrote it, or sign again";
                }
            }
        }

        if ((bundle.MediaType is SigstoreBundle.MediaTypeV03 or SigstoreBundle.MediaTypeV03Legacy) && material.X509CertificateChain is not null)
        {
            return $"it is a v0.3 bundle ('{bundle.MediaType}') holding an x509CertificateChain, which only v0.1 and v0.2 bundles hold (v0.3 carries the signing certificate alone, as 'certificate'; sigstore-js and cosign refuse it too): use the bundle as the signer's client wrote it, or sign again";
        }

        return null;
    }

    private static (string? Kind, string? Version) KindAndVersion(byte[] body)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            var root = document.RootElement;
            return root.ValueKind == System.Text.Json.JsonValueKind.Object
                ? (Text(root, "kind"), Text(root, "apiVersion"))
                : (null, null);
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, null);
        }

        static string? Text(System.Text.Json.JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
    }

    private static ReadOnlyMemory<byte>? FindPayload(SigstoreBundle bundle, ImageReference repository, Digest manifestDigest, IReadOnlyList<CosignSignature> attached)
    {
        if (bundle.MessageSignature?.MessageDigest is not { Algorithm: BundleHash.Sha256 } digest)
        {
            return null;
        }

        foreach (var signature in attached)
        {
            if (SHA256.HashData(signature.Payload.Span).AsSpan().SequenceEqual(digest.Digest))
            {
                return signature.Payload;
            }
        }

        var claim = SimpleSigningPayload.Create(repository.Name, manifestDigest);
        // Not a conditional expression: null would become an empty byte[] and then a non-null, empty payload.
        if (SHA256.HashData(claim).AsSpan().SequenceEqual(digest.Digest))
        {
            return claim;
        }

        return null;
    }
}
