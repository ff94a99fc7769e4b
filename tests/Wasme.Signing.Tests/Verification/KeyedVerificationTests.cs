using System.Text;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;
using Wasme.Signing.Tests.Support;
using Wasme.Signing.Verification;

namespace Wasme.Signing.Tests.Verification;

/// <summary>Key-based signatures attached the cosign way, in a real docker-registry.</summary>
public sealed class KeyedVerificationTests(SigningRegistryFixture fixture) : IClassFixture<SigningRegistryFixture>
{
    private static readonly (string Private, string Public) Pair = CosignKeys.Generate("pw");
    private static readonly (string Private, string Public) OtherPair = CosignKeys.Generate("pw");

    [Fact]
    public async Task A_signed_image_verifies_with_its_public_key_and_the_signature_sits_at_the_cosign_tag()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/ok:v1");
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");

        var signed = await new ImageSigner(fixture.Client).SignAsync(reference, key);
        var result = await Verify(reference, digest, Pair.Public);

        Assert.Equal(digest, signed.ManifestDigest);
        Assert.Equal($"sha256-{digest.Hex}.sig", signed.SignatureReference.Tag);
        Assert.True(result.IsVerified, result.Message);
        Assert.Equal($"key {KeyIds.Of(key)}", result.Signer);
        var attached = Assert.Single(await new CosignSignatureStore(fixture.Client).ReadAsync(reference, digest));
        Assert.Equal(
            $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{reference.Name}\"}},\"image\":{{\"docker-manifest-digest\":\"{digest}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}",
            Encoding.UTF8.GetString(attached.Payload.Span));
    }

    [Fact]
    public async Task An_unsigned_image_fails_with_no_signature()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/unsigned:v1", seed: 2);

        var result = await Verify(reference, digest, Pair.Public);

        Assert.Equal(VerificationFailureReason.NoSignature, result.Reason);
        Assert.Contains($"sha256-{digest.Hex}.sig", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_key_fails_with_wrong_key()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/wrong-key:v1", seed: 3);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        await new ImageSigner(fixture.Client).SignAsync(reference, key);

        var result = await Verify(reference, digest, OtherPair.Public);

        Assert.Equal(VerificationFailureReason.WrongKey, result.Reason);
        Assert.Contains("wrong key", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payload_changed_after_signing_fails_as_tampered()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/tampered:v1", seed: 4);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        await new ImageSigner(fixture.Client).SignAsync(reference, key);
        var store = new CosignSignatureStore(fixture.Client);
        var original = Assert.Single(await store.ReadAsync(reference, digest));
        // Someone with push access rewrites the claim (a new blob, so the registry's digests all hold) and keeps the signature.
        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original.Payload.Span).Replace("\"optional\":null", "\"optional\":{\"approved\":\"yes\"}", StringComparison.Ordinal));
        await DeleteSignatureTagAsync(reference, digest);
        await store.AttachAsync(reference, digest, original with { Payload = changed });

        var result = await Verify(reference, digest, Pair.Public);

        Assert.Equal(VerificationFailureReason.TamperedPayload, result.Reason);
        Assert.Contains("tampered payload", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signature_copied_from_another_digest_fails_as_signature_for_another_digest()
    {
        var (signedReference, signedDigest) = await fixture.PushImageAsync("keyed/copied:signed", seed: 5);
        var (reference, digest) = await fixture.PushImageAsync("keyed/copied:unsigned", seed: 6);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        await new ImageSigner(fixture.Client).SignAsync(signedReference, key);
        var store = new CosignSignatureStore(fixture.Client);
        var signature = Assert.Single(await store.ReadAsync(signedReference, signedDigest));
        await store.AttachAsync(reference, digest, signature);

        var result = await Verify(reference, digest, Pair.Public);

        Assert.Equal(VerificationFailureReason.DigestMismatch, result.Reason);
        Assert.Contains(signedDigest.ToString(), result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bundle_verifies_on_its_own_and_fails_for_another_digest()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/bundle:v1", seed: 7);
        var (otherReference, otherDigest) = await fixture.PushImageAsync("keyed/bundle:other", seed: 8);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        var payload = SimpleSigningPayload.Create(reference.Name, digest);
        var bundle = ImageSigner.KeyBundle(payload, ImageSigner.Sign(key, payload), KeyIds.Of(key));
        var policy = new VerificationPolicy { PublicKeys = [Pair.Public] };

        var ok = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, policy, [bundle]);
        var other = await new ImageVerifier(fixture.Client).VerifyAsync(otherReference, otherDigest, policy, [bundle]);

        Assert.True(ok.IsVerified, ok.Message);
        Assert.True(other.Reason == VerificationFailureReason.DigestMismatch, other.Message);
    }

    [Fact]
    public async Task A_bundle_for_this_digest_signed_under_another_repository_says_so_instead_of_another_digest()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/release:v1", seed: 9);
        var (mirror, mirrorDigest) = await fixture.PushImageAsync("mirror/release:v1", seed: 9);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        var payload = SimpleSigningPayload.Create(reference.Name, digest);
        var bundle = ImageSigner.KeyBundle(payload, ImageSigner.Sign(key, payload), KeyIds.Of(key));

        var result = await new ImageVerifier(fixture.Client).VerifyAsync(mirror, mirrorDigest, new VerificationPolicy { PublicKeys = [Pair.Public] }, [bundle]);

        Assert.Equal(digest, mirrorDigest);
        Assert.Equal(VerificationFailureReason.DigestMismatch, result.Reason);
        Assert.Contains("another repository name", result.Message, StringComparison.Ordinal);
        Assert.Contains(".sig", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"docker-manifest-digest\":\"{other}\",\"docker-manifest-digest\":\"{this}\"")]
    [InlineData("\"docker-manifest-digest\":\"{this}\",\"Docker-Manifest-Digest\":\"{other}\"")]
    [InlineData("\"docker-manifest-digest\":\"{this}\",\"docker-manifest-dige\u017Ft\":\"{other}\"")]
    public async Task A_signed_claim_naming_the_digest_twice_is_refused_as_malformed_whichever_name_a_reader_keeps(string image)
    {
        // cosign (Go) keeps the last of two names that differ only in case; System.Text.Json keeps the exact one. A claim
        // that one reader takes for this digest and another for a different one must be accepted by neither.
        var (reference, digest) = await fixture.PushImageAsync($"keyed/twice-{image.Length}:v1", seed: 30);
        var (_, other) = await fixture.PushImageAsync($"keyed/twice-{image.Length}:other", seed: 31);
        var payload = Encoding.UTF8.GetBytes(
            $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{reference.Name}\"}},\"image\":{{{image.Replace("{this}", digest.ToString(), StringComparison.Ordinal).Replace("{other}", other.ToString(), StringComparison.Ordinal)}}},\"type\":\"cosign container image signature\"}},\"optional\":null}}");
        await AttachSignedAsync(reference, digest, payload);

        var result = await Verify(reference, digest, Pair.Public);

        Assert.Equal(VerificationFailureReason.MalformedSignature, result.Reason);
        Assert.Contains("twice", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payload_blob_past_its_bound_is_one_refused_signature_and_a_valid_one_beside_it_still_verifies()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/oversized:v1", seed: 32);
        var (alone, aloneDigest) = await fixture.PushImageAsync("keyed/oversized:alone", seed: 33);
        var oversized = new CosignSignature(new byte[300 * 1024], new Dictionary<string, string> { [CosignAnnotations.Signature] = "AAAA" });
        var store = new CosignSignatureStore(fixture.Client);
        await store.AttachAsync(reference, digest, oversized);
        await AttachSignedAsync(reference, digest, SimpleSigningPayload.Create(reference.Name, digest));
        await store.AttachAsync(alone, aloneDigest, oversized);

        var beside = await Verify(reference, digest, Pair.Public);
        var refused = await Verify(alone, aloneDigest, Pair.Public);

        Assert.True(beside.IsVerified, beside.Message);
        Assert.Equal(VerificationFailureReason.MalformedSignature, refused.Reason);
        Assert.Contains("307200 bytes", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--max-module-size", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.4+json")]
    [InlineData("application/json")]
    public async Task A_bundle_of_a_media_type_wasme_does_not_know_is_refused_as_malformed(string mediaType)
    {
        var (reference, digest) = await fixture.PushImageAsync($"keyed/bundle-type-{mediaType.Length}:v1", seed: 34);

        var result = await VerifyKeyBundleAsync(reference, digest, mediaType);

        Assert.Equal(VerificationFailureReason.MalformedSignature, result.Reason);
        Assert.Contains(mediaType, result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.1")]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.2")]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.3")]
    public async Task Bundles_of_the_earlier_media_types_still_verify(string mediaType)
    {
        var (reference, digest) = await fixture.PushImageAsync($"keyed/bundle-known-{mediaType[^1]}:v1", seed: 35);

        var result = await VerifyKeyBundleAsync(reference, digest, mediaType);

        Assert.True(result.IsVerified, result.Message);
    }

    [Fact]
    public async Task A_dsse_bundle_is_refused_as_not_an_image_signature_rather_than_as_one_for_another_digest()
    {
        var (reference, digest) = await fixture.PushImageAsync("keyed/bundle-dsse:v1", seed: 36);
        var json = $"{{\"mediaType\":\"{SigstoreBundle.MediaTypeV03}\",\"verificationMaterial\":{{\"publicKey\":{{\"hint\":\"k\"}}}},\"dsseEnvelope\":{{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{{\"sig\":\"AAAA\"}}]}}}}";
        var bundle = SigstoreBundle.Parse(Encoding.UTF8.GetBytes(json));

        var result = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, new VerificationPolicy { PublicKeys = [Pair.Public] }, [bundle]);

        Assert.Equal(VerificationFailureReason.MalformedSignature, result.Reason);
        Assert.Contains("DSSE", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"SignedEntryTimestamp\":\"AA==\",\"Payload\":null}")]
    [InlineData("{\"SignedEntryTimestamp\":\"AA==\",\"Payload\":{\"body\":null,\"integratedTime\":1,\"logIndex\":1,\"logID\":\"00\"}}")]
    [InlineData("{\"SignedEntryTimestamp\":\"AA==\",\"Payload\":{\"body\":\"e30=\",\"integratedTime\":1,\"logIndex\":1,\"logID\":null}}")]
    public async Task A_rekor_annotation_with_null_parts_is_one_refused_signature_and_a_valid_one_beside_it_still_verifies(string rekor)
    {
        // Read for every layer, whatever the policy: whoever can push to the .sig tag writes it.
        var (reference, digest) = await fixture.PushImageAsync($"keyed/null-rekor-{rekor.Length}:v1", seed: 37);
        var broken = new CosignSignature(Encoding.UTF8.GetBytes("{}"), new Dictionary<string, string>
        {
            [CosignAnnotations.Signature] = "MEUCIQ==",
            [CosignAnnotations.RekorBundle] = rekor,
        });
        await new CosignSignatureStore(fixture.Client).AttachAsync(reference, digest, broken);
        var alone = await Verify(reference, digest, Pair.Public);
        await AttachSignedAsync(reference, digest, SimpleSigningPayload.Create(reference.Name, digest));

        var beside = await Verify(reference, digest, Pair.Public);

        Assert.Equal(VerificationFailureReason.MalformedSignature, alone.Reason);
        Assert.Contains("Rekor", alone.Message, StringComparison.Ordinal);
        Assert.True(beside.IsVerified, beside.Message);
    }

    [Theory]
    [InlineData("\"tlogEntries\":[null]")]
    [InlineData("\"x509CertificateChain\":{\"certificates\":[null]}")]
    [InlineData("\"certificate\":{\"rawBytes\":null}")]
    [InlineData("\"tlogEntries\":[{\"logId\":null,\"canonicalizedBody\":\"e30=\"}]")]
    [InlineData("\"tlogEntries\":[{\"logId\":{\"keyId\":\"AA==\"},\"canonicalizedBody\":null}]")]
    public async Task A_bundle_with_null_parts_is_refused_as_malformed(string material)
    {
        var (reference, digest) = await fixture.PushImageAsync($"keyed/null-bundle-{material.Length}:v1", seed: 38);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        var payload = SimpleSigningPayload.Create(reference.Name, digest);
        var json = Encoding.UTF8.GetString(ImageSigner.KeyBundle(payload, ImageSigner.Sign(key, payload), KeyIds.Of(key)).ToJson())
            .Replace("\"tlogEntries\":[]", material, StringComparison.Ordinal);

        var parsed = Record.Exception(() => SigstoreBundle.Parse(Encoding.UTF8.GetBytes(json)));
        var result = parsed is null
            ? await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, new VerificationPolicy { PublicKeys = [Pair.Public] }, [SigstoreBundle.Parse(Encoding.UTF8.GetBytes(json))])
            : null;

        // Refused when read (the CLI's usage error for a file that is not a bundle) or as a malformed signature; never a crash.
        Assert.True(parsed is System.Text.Json.JsonException || result?.Reason == VerificationFailureReason.MalformedSignature, parsed?.ToString() ?? result!.Message);
    }

    /// <summary>Verifies the image against a valid key bundle for it that declares <paramref name="mediaType"/>.</summary>
    private async Task<VerificationResult> VerifyKeyBundleAsync(Oci.References.ImageReference reference, Oci.References.Digest digest, string mediaType)
    {
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        var payload = SimpleSigningPayload.Create(reference.Name, digest);
        var bundle = ImageSigner.KeyBundle(payload, ImageSigner.Sign(key, payload), KeyIds.Of(key)) with { MediaType = mediaType };
        return await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, new VerificationPolicy { PublicKeys = [Pair.Public] }, [bundle]);
    }

    private async Task AttachSignedAsync(Oci.References.ImageReference reference, Oci.References.Digest digest, byte[] payload)
    {
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        await new CosignSignatureStore(fixture.Client).AttachAsync(reference, digest, new CosignSignature(payload, new Dictionary<string, string>
        {
            [CosignAnnotations.Signature] = Convert.ToBase64String(ImageSigner.Sign(key, payload)),
            [SignatureEvidence.KeyIdAnnotation] = KeyIds.Of(key),
        }));
    }

    private Task<VerificationResult> Verify(Oci.References.ImageReference reference, Oci.References.Digest digest, string publicKey) =>
        new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, new VerificationPolicy { PublicKeys = [publicKey] });

    // The test registry allows no deletes; writing a fresh .sig manifest with only the changed layer plays the attacker.
    private async Task DeleteSignatureTagAsync(Oci.References.ImageReference reference, Oci.References.Digest digest)
    {
        var empty = Descriptor();
        await fixture.Client.PushBlobAsync(reference, empty.GetDigest(), "{}"u8.ToArray());
        var manifest = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{empty.Digest}\",\"size\":2}},\"layers\":[]}}");
        await fixture.Client.PushManifestAsync(CosignSignatureStore.SignatureReference(reference, digest), "application/vnd.oci.image.manifest.v1+json", manifest);
    }

    private static Oci.Manifests.Descriptor Descriptor() => Oci.Manifests.Descriptor.For("application/vnd.oci.image.config.v1+json", "{}"u8);
}
