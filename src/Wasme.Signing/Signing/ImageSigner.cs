using System.Security.Cryptography;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Verification;

namespace Wasme.Signing.Signing;

/// <summary>
/// Signs an image digest with a cosign key pair: ECDSA over the simple-signing claim, attached as
/// cosign attaches it, and returned as a Sigstore bundle too.
/// </summary>
public sealed class ImageSigner(RegistryClient client)
{
    /// <summary>Signs the manifest <paramref name="reference"/> names (its tag is resolved to the digest first).</summary>
    public async Task<SignedImage> SignAsync(ImageReference reference, ECDsa key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(key);
        // Resolved even when pinned: a digest the registry does not hold is a typo or a wrong repository,
        // and a signature attached for it would say "signed" about nothing.
        var digest = (await client.ResolveAsync(reference, cancellationToken).ConfigureAwait(false)).GetDigest();
        var payload = SimpleSigningPayload.Create(reference.Name, digest);
        var signature = Sign(key, payload);
        var keyId = KeyIds.Of(key);
        var attached = new CosignSignature(payload, new Dictionary<string, string>
        {
            [CosignAnnotations.Signature] = Convert.ToBase64String(signature),
            [SignatureEvidence.KeyIdAnnotation] = keyId,
        });
        var signatureReference = await new CosignSignatureStore(client).AttachAsync(reference, digest, attached, cancellationToken).ConfigureAwait(false);
        return new SignedImage(digest, signatureReference, keyId, payload, signature, KeyBundle(payload, signature, keyId));
    }

    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = key.KeySize switch { > 384 => HashAlgorithmName.SHA512, > 256 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA256 };
        return key.SignData(payload, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>A v0.3 bundle of a key-based message signature (no transparency-log entry: wasme signs offline).</summary>
    public static SigstoreBundle KeyBundle(ReadOnlySpan<byte> payload, byte[] signature, string keyId) => new()
    {
        MediaType = SigstoreBundle.MediaTypeV03,
        VerificationMaterial = new()
        {
            PublicKey = new() { Hint = keyId },
            TlogEntries = [],
        },
        MessageSignature = new()
        {
            MessageDigest = new() { Algorithm = BundleHash.Sha256, Digest = SHA256.HashData(payload) },
            Signature = signature,
        },
    };
}

/// <summary>What <see cref="ImageSigner.SignAsync"/> did.</summary>
public sealed record SignedImage(Digest ManifestDigest, ImageReference SignatureReference, string KeyId, byte[] Payload, byte[] Signature, SigstoreBundle Bundle);
