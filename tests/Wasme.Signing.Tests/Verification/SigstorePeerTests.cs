using System.Text;
using System.Text.Json;
using Wasme.Oci.References;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;
using Wasme.Signing.Tests.Support;
using Wasme.Testing.Signing;
using Wasme.Signing.Verification;

namespace Wasme.Signing.Tests.Verification;

/// <summary>
/// wasme against the Sigstore JavaScript client: what one signs the other verifies, key-based and
/// keyless (Fulcio and Rekor played by @sigstore/mock in the peer's process).
/// </summary>
public sealed class SigstorePeerTests(SigningRegistryFixture fixture) : IClassFixture<SigningRegistryFixture>, IDisposable
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Subject = "https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main";
    private static readonly (string Private, string Public) Pair = CosignKeys.Generate("pw");
    private readonly string _work = System.IO.Directory.CreateTempSubdirectory("wasme-sigstore-peer-").FullName;

    [Fact]
    public async Task A_bundle_wasme_signed_verifies_with_sigstore_js()
    {
        var (reference, _) = await fixture.PushImageAsync("peer/wasme-signed:v1", seed: 20);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        var signed = await new ImageSigner(fixture.Client).SignAsync(reference, key);
        var payload = Write("payload.json", signed.Payload);
        var bundle = Write("wasme.sigstore.json", JsonSerializer.SerializeToUtf8Bytes(signed.Bundle, SigningJsonContext.Default.SigstoreBundle));
        var publicKey = Write("cosign.pub", Encoding.ASCII.GetBytes(Pair.Public));
        var otherPublicKey = Write("other.pub", Encoding.ASCII.GetBytes(CosignKeys.Generate("pw").PublicKeyPem));

        var accepted = await SigstorePeer.TryAsync("key-verify", "--payload", payload, "--bundle", bundle, "--key", publicKey, "--hint", signed.KeyId);
        var refused = await SigstorePeer.TryAsync("key-verify", "--payload", payload, "--bundle", bundle, "--key", otherPublicKey, "--hint", signed.KeyId);

        Assert.True(accepted.Ok, accepted.Error);
        Assert.False(refused.Ok);
    }

    [Fact]
    public async Task A_key_based_bundle_sigstore_js_signed_verifies_with_wasme()
    {
        var (reference, digest) = await fixture.PushImageAsync("peer/js-keyed:v1", seed: 21);
        using var key = CosignKeys.DecryptPrivateKey(Pair.Private, "pw", "cosign.key");
        var payload = Write("payload.json", SimpleSigningPayload.Create(reference.Name, digest));
        var bundlePath = Path.Combine(_work, "js.sigstore.json");

        await SigstorePeer.RunAsync("key-sign", "--payload", payload, "--key", SigstorePeer.WritePkcs8(key, _work), "--hint", KeyIds.Of(key), "--bundle", bundlePath);
        var result = await Verify(reference, digest, new VerificationPolicy { PublicKeys = [Pair.Public] }, bundlePath);
        var wrongKey = await Verify(reference, digest, new VerificationPolicy { PublicKeys = [CosignKeys.Generate("pw").PublicKeyPem] }, bundlePath);

        Assert.True(result.IsVerified, result.Message);
        Assert.Equal(VerificationFailureReason.WrongKey, wrongKey.Reason);
    }

    [Fact]
    public async Task A_keyless_bundle_from_sigstore_js_and_mock_fulcio_and_rekor_verifies_for_its_identity_only()
    {
        var (reference, digest, bundle, trustedRoot) = await KeylessAsync("peer/js-keyless:v1", 22, logOffsetSeconds: 0);

        var result = await Verify(reference, digest, Keyless(Subject, Issuer, trustedRoot), bundle);
        var otherSubject = await Verify(reference, digest, Keyless("https://github.com/mallory/filters/.github/workflows/release.yml@refs/heads/main", Issuer, trustedRoot), bundle);
        var otherIssuer = await Verify(reference, digest, Keyless(Subject, "https://accounts.google.com", trustedRoot), bundle);

        Assert.True(result.IsVerified, result.Message);
        Assert.Equal($"{Subject} from {Issuer}", result.Signer);
        Assert.Equal(VerificationFailureReason.IdentityMismatch, otherSubject.Reason);
        Assert.Contains("wrong identity", otherSubject.Message, StringComparison.Ordinal);
        Assert.Equal(VerificationFailureReason.IdentityMismatch, otherIssuer.Reason);
    }

    [Fact]
    public async Task A_keyless_signature_logged_after_its_certificate_expired_is_refused()
    {
        // Fulcio certificates live ten minutes; Rekor logging the signature an hour later proves nothing about when it was made.
        var (reference, digest, bundle, trustedRoot) = await KeylessAsync("peer/js-expired:v1", 23, logOffsetSeconds: 3600);

        var result = await Verify(reference, digest, Keyless(Subject, Issuer, trustedRoot), bundle);

        Assert.Equal(VerificationFailureReason.CertificateExpired, result.Reason);
        Assert.Contains("expired or not yet valid certificate", result.Message, StringComparison.Ordinal);
        Assert.Contains("had expired", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keyless_signature_logged_before_its_certificate_was_valid_is_refused_as_not_yet_valid_not_expired()
    {
        // Rekor's clock a minute behind Fulcio's: the entry's time is before the certificate's notBefore.
        var (reference, digest, bundle, trustedRoot) = await KeylessAsync("peer/js-early:v1", 37, logOffsetSeconds: -60);

        var result = await Verify(reference, digest, Keyless(Subject, Issuer, trustedRoot), bundle);

        Assert.Equal(VerificationFailureReason.CertificateExpired, result.Reason);
        Assert.Contains("was not yet valid", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("had expired", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keyless_bundle_whose_rekor_entry_was_altered_or_whose_root_is_another_is_refused()
    {
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync("peer/js-tlog:v1", 24, logOffsetSeconds: 0);
        var (_, _, _, otherRoot) = await KeylessAsync("peer/js-tlog-other:v1", 25, logOffsetSeconds: 0);
        var bundle = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(bundlePath), SigningJsonContext.Default.SigstoreBundle)!;
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var altered = bundle with
        {
            VerificationMaterial = bundle.VerificationMaterial with
            {
                TlogEntries = [entry with { IntegratedTime = (long.Parse(entry.IntegratedTime!, System.Globalization.CultureInfo.InvariantCulture) - 60).ToString(System.Globalization.CultureInfo.InvariantCulture) }],
            },
        };
        var alteredPath = Write("altered.sigstore.json", JsonSerializer.SerializeToUtf8Bytes(altered, SigningJsonContext.Default.SigstoreBundle));

        var forgedProof = bundle with
        {
            VerificationMaterial = bundle.VerificationMaterial with
            {
                TlogEntries = [entry with { InclusionProof = entry.InclusionProof! with { RootHash = new byte[32] } }],
            },
        };
        var forgedProofPath = Write("forged-proof.sigstore.json", JsonSerializer.SerializeToUtf8Bytes(forgedProof, SigningJsonContext.Default.SigstoreBundle));

        var alteredResult = await Verify(reference, digest, Keyless(Subject, Issuer, trustedRoot), alteredPath);
        var forgedProofResult = await Verify(reference, digest, Keyless(Subject, Issuer, trustedRoot), forgedProofPath);
        var otherRootResult = await Verify(reference, digest, Keyless(Subject, Issuer, otherRoot), bundlePath);

        Assert.Equal(VerificationFailureReason.BadTransparencyLogEntry, alteredResult.Reason);
        Assert.NotNull(entry.InclusionProof?.Checkpoint);
        Assert.Equal(VerificationFailureReason.BadTransparencyLogEntry, forgedProofResult.Reason);
        Assert.Contains("inclusion proof", forgedProofResult.Message, StringComparison.Ordinal);
        Assert.NotNull(otherRootResult.Reason);
        Assert.False(otherRootResult.IsVerified);
    }

    [Fact]
    public async Task A_keyless_signature_in_cosigns_sig_annotations_verifies_without_a_bundle()
    {
        // cosign keeps a keyless signature's certificate, chain and Rekor entry in the .sig layer's annotations;
        // here the JavaScript client's keyless signature is laid out that way.
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync("peer/js-cosign-layout:v1", 26, logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var certificates = bundle.VerificationMaterial.X509CertificateChain?.Certificates.Select(c => c.RawBytes).ToList()
            ?? [bundle.VerificationMaterial.Certificate!.RawBytes];
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var rekor = new CosignRekorBundle
        {
            SignedEntryTimestamp = entry.InclusionPromise!.SignedEntryTimestamp,
            Payload = new()
            {
                Body = Convert.ToBase64String(entry.CanonicalizedBody),
                IntegratedTime = long.Parse(entry.IntegratedTime!, System.Globalization.CultureInfo.InvariantCulture),
                LogIndex = long.Parse(entry.LogIndex!, System.Globalization.CultureInfo.InvariantCulture),
                LogId = Convert.ToHexStringLower(entry.LogId.KeyId),
            },
        };
        var annotations = new Dictionary<string, string>
        {
            [CosignAnnotations.Signature] = Convert.ToBase64String(bundle.MessageSignature!.Signature),
            [CosignAnnotations.Certificate] = Pem(certificates[0]),
            [CosignAnnotations.RekorBundle] = JsonSerializer.Serialize(rekor, SigningJsonContext.Default.CosignRekorBundle),
        };
        if (certificates.Count > 1)
        {
            annotations[CosignAnnotations.Chain] = string.Concat(certificates.Skip(1).Select(Pem));
        }

        await new CosignSignatureStore(fixture.Client).AttachAsync(reference, digest, new CosignSignature(SimpleSigningPayload.Create(reference.Name, digest), annotations));

        var result = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot));
        var wrongIdentity = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, "https://accounts.google.com", trustedRoot));
        var listed = Assert.Single(await new CosignSignatureStore(fixture.Client).ReadAsync(reference, digest));

        Assert.True(result.IsVerified, result.Message);
        Assert.Equal(VerificationFailureReason.IdentityMismatch, wrongIdentity.Reason);
        Assert.Equal($"keyless: {Subject} from {Issuer}", listed.DescribeClaimedSigner());
    }

    [Theory]
    [InlineData(999_999_999_999_999L)]
    [InlineData(-1L)]
    public async Task A_rekor_annotation_claiming_a_time_no_clock_holds_is_one_refused_signature_and_a_valid_one_beside_it_still_verifies(long integratedTime)
    {
        // Whoever controls the registry controls the annotations: a signature it adds must be refused like any other, not end the verification.
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync($"peer/js-time-{(integratedTime < 0 ? "negative" : "huge")}:v1", (byte)(integratedTime < 0 ? 27 : 28), logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var store = new CosignSignatureStore(fixture.Client);
        await store.AttachAsync(reference, digest, new CosignSignature(SimpleSigningPayload.Create(reference.Name, digest), CosignLayout(bundle, integratedTime)));
        var alone = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot));
        await store.AttachAsync(reference, digest, new CosignSignature(SimpleSigningPayload.Create(reference.Name, digest), CosignLayout(bundle, integratedTime: null)));

        var beside = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot));

        Assert.Equal(VerificationFailureReason.MalformedSignature, alone.Reason);
        Assert.Contains(integratedTime.ToString(System.Globalization.CultureInfo.InvariantCulture), alone.Message, StringComparison.Ordinal);
        Assert.True(beside.IsVerified, beside.Message);
    }

    [Theory]
    [InlineData("integratedTime")]
    [InlineData("logIndex")]
    public async Task A_bundle_whose_log_numbers_overflow_is_refused_as_malformed(string field)
    {
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync($"peer/js-overflow-{field.ToLowerInvariant()}:v1", (byte)(29 + field.Length % 2), logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        const string huge = "99999999999999999999";
        var overflowing = bundle with
        {
            VerificationMaterial = bundle.VerificationMaterial with
            {
                TlogEntries = [field == "logIndex" ? entry with { LogIndex = huge } : entry with { IntegratedTime = huge }],
            },
        };

        var result = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot), [overflowing]);

        Assert.Equal(VerificationFailureReason.MalformedSignature, result.Reason);
        Assert.Contains(huge, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_whose_key_is_no_point_on_its_curve_is_one_refused_signature_and_a_valid_one_beside_it_still_verifies()
    {
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync("peer/js-bad-point:v1", 32, logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var der = bundle.VerificationMaterial.Certificate?.RawBytes ?? bundle.VerificationMaterial.X509CertificateChain!.Certificates[0].RawBytes;
        using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
        var point = certificate.PublicKey.EncodedKeyValue.RawData;
        var offPoint = (byte[])der.Clone();
        offPoint[der.AsSpan().IndexOf(point) + point.Length - 1] ^= 0x01;
        var forged = CosignLayout(bundle, integratedTime: null);
        forged[CosignAnnotations.Certificate] = Pem(offPoint);
        var store = new CosignSignatureStore(fixture.Client);
        await store.AttachAsync(reference, digest, new CosignSignature(SimpleSigningPayload.Create(reference.Name, digest), forged));
        var alone = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot));
        await store.AttachAsync(reference, digest, new CosignSignature(SimpleSigningPayload.Create(reference.Name, digest), CosignLayout(bundle, integratedTime: null)));

        var beside = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot));

        Assert.Equal(VerificationFailureReason.MalformedSignature, alone.Reason);
        Assert.Contains("public key", alone.Message, StringComparison.Ordinal);
        Assert.True(beside.IsVerified, beside.Message);
    }

    [Fact]
    public async Task A_certificate_swapped_for_another_valid_one_is_refused_as_not_verifying_with_it_not_as_a_changed_payload()
    {
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync("peer/js-swapped-cert:v1", 33, logOffsetSeconds: 0);
        var (_, _, otherPath, _) = await KeylessAsync("peer/js-swapped-cert-other:v1", 34, logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var other = SigstoreBundle.Parse(await File.ReadAllBytesAsync(otherPath));
        var swapped = bundle with
        {
            VerificationMaterial = bundle.VerificationMaterial with
            {
                Certificate = other.VerificationMaterial.Certificate,
                X509CertificateChain = other.VerificationMaterial.X509CertificateChain,
            },
        };

        var result = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot), [swapped]);

        Assert.Equal(VerificationFailureReason.InvalidSignature, result.Reason);
        Assert.Contains("does not verify with the key of the certificate", result.Message, StringComparison.Ordinal);
        Assert.Contains("certificate was swapped", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tampered", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keyless_payload_changed_after_signing_is_told_from_its_rekor_entry()
    {
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync("peer/js-changed-payload:v1", 35, logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SimpleSigningPayload.Create(reference.Name, digest)).Replace("\"optional\":null", "\"optional\":{\"approved\":\"yes\"}", StringComparison.Ordinal));
        await new CosignSignatureStore(fixture.Client).AttachAsync(reference, digest, new CosignSignature(changed, CosignLayout(bundle, integratedTime: null)));

        var result = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot));

        Assert.Equal(VerificationFailureReason.TamperedPayload, result.Reason);
        Assert.Contains("records the hash of another payload", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_signed_under_another_logs_name_or_of_another_log_is_refused()
    {
        var (reference, digest, bundlePath, trustedRoot) = await KeylessAsync("peer/js-checkpoint:v1", 36, logOffsetSeconds: 0);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(bundlePath));
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var envelope = entry.InclusionProof!.Checkpoint!.Envelope;
        // The signature line's name is not signed: sigstore-js takes a line only when it names the log.
        var renamed = bundle with
        {
            VerificationMaterial = bundle.VerificationMaterial with
            {
                TlogEntries = [entry with { InclusionProof = entry.InclusionProof with { Checkpoint = new BundleCheckpoint { Envelope = envelope.Replace("\u2014 rekor.mock.test ", "\u2014 rekor.evil.test ", StringComparison.Ordinal) } } }],
            },
        };
        // The same log key listed for another log: its checkpoints' origin names rekor.mock.test, not that log.
        var otherLog = trustedRoot with { Tlogs = [trustedRoot.Tlogs![0] with { BaseUrl = "https://rekor.other.test" }] };

        var asIs = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot), [bundle]);
        var renamedResult = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, trustedRoot), [renamed]);
        var otherLogResult = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, Keyless(Subject, Issuer, otherLog), [bundle]);

        Assert.Contains("\u2014 rekor.mock.test ", envelope, StringComparison.Ordinal);
        Assert.True(asIs.IsVerified, asIs.Message);
        Assert.Equal(VerificationFailureReason.BadTransparencyLogEntry, renamedResult.Reason);
        Assert.Contains("checkpoint has no signature by the log's key", renamedResult.Message, StringComparison.Ordinal);
        Assert.Equal(VerificationFailureReason.BadTransparencyLogEntry, otherLogResult.Reason);
        Assert.Contains("not of https://rekor.other.test", otherLogResult.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> CosignLayout(SigstoreBundle bundle, long? integratedTime)
    {
        var certificates = bundle.VerificationMaterial.X509CertificateChain?.Certificates.Select(c => c.RawBytes).ToList()
            ?? [bundle.VerificationMaterial.Certificate!.RawBytes];
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var rekor = new CosignRekorBundle
        {
            SignedEntryTimestamp = entry.InclusionPromise!.SignedEntryTimestamp,
            Payload = new()
            {
                Body = Convert.ToBase64String(entry.CanonicalizedBody),
                IntegratedTime = integratedTime ?? long.Parse(entry.IntegratedTime!, System.Globalization.CultureInfo.InvariantCulture),
                LogIndex = long.Parse(entry.LogIndex!, System.Globalization.CultureInfo.InvariantCulture),
                LogId = Convert.ToHexStringLower(entry.LogId.KeyId),
            },
        };
        return new Dictionary<string, string>
        {
            [CosignAnnotations.Signature] = Convert.ToBase64String(bundle.MessageSignature!.Signature),
            [CosignAnnotations.Certificate] = Pem(certificates[0]),
            [CosignAnnotations.RekorBundle] = JsonSerializer.Serialize(rekor, SigningJsonContext.Default.CosignRekorBundle),
        };
    }

    private static string Pem(byte[] der) => new(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE", der));

    public void Dispose() => System.IO.Directory.Delete(_work, recursive: true);

    private async Task<(ImageReference Reference, Digest Digest, string Bundle, TrustedRoot TrustedRoot)> KeylessAsync(string repository, byte seed, int logOffsetSeconds)
    {
        var (reference, digest) = await fixture.PushImageAsync(repository, seed);
        var payload = Write($"payload-{seed}.json", SimpleSigningPayload.Create(reference.Name, digest));
        var bundle = Path.Combine(_work, $"keyless-{seed}.sigstore.json");
        var root = Path.Combine(_work, $"trusted-root-{seed}.json");
        await SigstorePeer.RunAsync("keyless-sign", "--payload", payload, "--subject", Subject, "--issuer", Issuer, "--bundle", bundle, "--trusted-root", root,
            "--log-offset-seconds", logOffsetSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (reference, digest, bundle, VerificationPolicy.ParseTrustedRoot(await File.ReadAllTextAsync(root), root));
    }

    private static VerificationPolicy Keyless(string subject, string issuer, TrustedRoot root) =>
        new() { Identities = [new KeylessIdentity { Subject = subject, Issuer = issuer }], TrustedRoot = root };

    private async Task<VerificationResult> Verify(ImageReference reference, Digest digest, VerificationPolicy policy, string bundlePath)
    {
        var bundle = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(bundlePath), SigningJsonContext.Default.SigstoreBundle)!;
        return await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, policy, [bundle]);
    }

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
