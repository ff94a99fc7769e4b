using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Tests.Support;
using Wasme.Signing.Verification;
using Wasme.Testing.Registry;

namespace Wasme.Signing.Tests.Verification;

/// <summary>
/// Keyless signatures shaped by an attacker who can log anything in a trusted Rekor (the public one takes any entry) and
/// hand wasme a bundle or a .sig layer: certificates no trusted CA issued, bundles that break their version's rules.
/// The registry holds no .sig tag; the bundle is all there is.
/// </summary>
public sealed class HostileKeylessTests : IAsyncLifetime, IDisposable
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Subject = "https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main";

    private readonly TestSigstore _sigstore = new(DateTimeOffset.UtcNow);
    private readonly Digest _digest = Digest.Compute("hostile keyless"u8);
    private readonly RegistryClient _client = new(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
    private ScriptedRegistry _registry = null!;

    private ImageReference Image => ImageReference.Parse($"{_registry.Host}/team/filter:v1");

    private byte[] Claim => SimpleSigningPayload.Create(Image.Name, _digest);

    public async Task InitializeAsync() => _registry = await ScriptedRegistry.StartAsync(context =>
    {
        context.Response.StatusCode = context.Request.Path.Value == "/v2/" ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    });

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task A_bundle_from_the_test_instance_verifies_for_its_identity()
    {
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer));

        var result = await VerifyAsync(bundle);

        Assert.True(result.IsVerified, result.Message);
        Assert.Equal($"{Subject} from {Issuer}", result.Signer);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_naming_where_to_fetch_its_issuer_is_refused_without_fetching_it()
    {
        // Verification is offline: a URL in a certificate nobody trusts yet (its AIA caIssuers) is no address to call from
        // the operator's or the cache's network.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherRequest = new CertificateRequest("CN=other-ca", otherKey, HashAlgorithmName.SHA256);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = otherRequest.CreateSelfSigned(_sigstore.Now.AddDays(-1), _sigstore.Now.AddDays(1));
        var leaf = _sigstore.Leaf(Subject, Issuer, otherCa, otherKey,
            request => request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [$"http://127.0.0.1:{port}/ca.crt"])));

        var result = await VerifyAsync(_sigstore.Sign(Claim, leaf));

        Assert.Equal(VerificationFailureReason.UntrustedCertificate, result.Reason);
        Assert.False(listener.Pending(), "verification connected to the URL the certificate's AIA extension names");
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.2")]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.3")]
    [InlineData(SigstoreBundle.MediaTypeV03)]
    public async Task A_bundle_of_v02_or_later_whose_log_entry_lacks_its_inclusion_proof_or_checkpoint_is_refused_as_sigstore_js_refuses_it(string mediaType)
    {
        // From v0.2 a bundle carries the entry's inclusion proof with its checkpoint (sigstore-js and sigstore-go refuse one
        // without): dropping it must not leave a bundle that wasme alone accepts.
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer)) with { MediaType = mediaType };
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var noProof = bundle with { VerificationMaterial = bundle.VerificationMaterial with { TlogEntries = [entry with { InclusionProof = null }] } };
        var noCheckpoint = bundle with { VerificationMaterial = bundle.VerificationMaterial with { TlogEntries = [entry with { InclusionProof = entry.InclusionProof! with { Checkpoint = null } }] } };

        var asIs = await VerifyAsync(bundle);
        var withoutProof = await VerifyAsync(noProof);
        var withoutCheckpoint = await VerifyAsync(noCheckpoint);

        Assert.True(asIs.IsVerified, asIs.Message);
        Assert.Equal(VerificationFailureReason.MalformedSignature, withoutProof.Reason);
        Assert.Contains("inclusion proof", withoutProof.Message, StringComparison.Ordinal);
        Assert.Contains(mediaType, withoutProof.Message, StringComparison.Ordinal);
        Assert.Equal(VerificationFailureReason.MalformedSignature, withoutCheckpoint.Reason);
        Assert.Contains("checkpoint", withoutCheckpoint.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hashedrekord", "0.0.2")]
    [InlineData("intoto", "0.0.1")]
    [InlineData(null, null)]
    public async Task A_log_entry_whose_kind_and_version_are_missing_or_not_its_bodys_is_refused_as_sigstore_js_refuses_it(string? kind, string? version)
    {
        // kindVersion is not signed, so it proves nothing; but a bundle whose entry says one kind and holds another is
        // malformed to sigstore-js and cosign, and must not verify with wasme alone.
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer));
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var changed = bundle with
        {
            VerificationMaterial = bundle.VerificationMaterial with
            {
                TlogEntries = [entry with { KindVersion = kind is null ? null : new BundleKindVersion { Kind = kind, Version = version! } }],
            },
        };

        var result = await VerifyAsync(changed);

        Assert.Equal(VerificationFailureReason.MalformedSignature, result.Reason);
        Assert.Contains("kindVersion", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_v01_bundle_with_only_its_signed_entry_timestamp_verifies()
    {
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer));
        var entry = bundle.VerificationMaterial.TlogEntries![0];
        var v01 = bundle with
        {
            MediaType = "application/vnd.dev.sigstore.bundle+json;version=0.1",
            VerificationMaterial = bundle.VerificationMaterial with { TlogEntries = [entry with { InclusionProof = null }] },
        };

        var result = await VerifyAsync(v01);

        Assert.True(result.IsVerified, result.Message);
    }

    [Fact]
    public async Task A_v03_bundle_carrying_a_certificate_chain_is_refused_as_sigstore_js_refuses_it()
    {
        // v0.3 carries the leaf alone ("certificate"); x509CertificateChain belongs to v0.1 and v0.2.
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer));
        var material = bundle.VerificationMaterial;
        var chained = bundle with
        {
            VerificationMaterial = material with
            {
                Certificate = null,
                X509CertificateChain = new BundleCertificateChain { Certificates = [material.Certificate!, new BundleCertificate { RawBytes = _sigstore.Authority.RawData }] },
            },
        };

        var v03 = await VerifyAsync(chained);
        var v02 = await VerifyAsync(chained with { MediaType = "application/vnd.dev.sigstore.bundle+json;version=0.2" });

        Assert.Equal(VerificationFailureReason.MalformedSignature, v03.Reason);
        Assert.Contains("x509CertificateChain", v03.Message, StringComparison.Ordinal);
        Assert.True(v02.IsVerified, v02.Message);
    }

    [Theory]
    [InlineData("malice@example.com")]
    [InlineData("alice@example.com.evil")]
    [InlineData("malice@example.com.evil")]
    public async Task An_identity_pattern_without_anchors_matches_the_whole_identity_not_a_part(string signer)
    {
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(signer, "https://accounts.google.com"));
        var identity = new KeylessIdentity { SubjectRegex = @"alice@example\.com", IssuerRegex = "https://accounts.google.com" };

        var result = await VerifyAsync(identity, bundle);

        Assert.Equal(VerificationFailureReason.IdentityMismatch, result.Reason);
    }

    [Fact]
    public async Task A_pattern_that_matches_only_the_start_of_the_identity_is_refused_naming_the_fix()
    {
        // cosign's patterns match anywhere in the identity; wasme's match all of it. A pattern written for cosign, as a
        // prefix, is refused with what to add rather than as if the signer were someone else.
        var bundle = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer));

        var prefix = await VerifyAsync(new KeylessIdentity { SubjectRegex = "^https://github.com/acme/", Issuer = Issuer }, bundle);
        var whole = await VerifyAsync(new KeylessIdentity { SubjectRegex = "^https://github.com/acme/.*", Issuer = Issuer }, bundle);

        Assert.Equal(VerificationFailureReason.IdentityMismatch, prefix.Reason);
        Assert.Contains("matches only part of", prefix.Message, StringComparison.Ordinal);
        Assert.Contains(".*", prefix.Message, StringComparison.Ordinal);
        Assert.True(whole.IsVerified, whole.Message);
    }

    [Fact]
    public async Task An_identity_chosen_to_make_a_pattern_backtrack_is_one_refused_signature_and_a_valid_one_beside_it_verifies()
    {
        // A signer chooses their identity (a repository or branch name in a workflow URI); a pattern with nested repetition
        // must not let that identity stall verification into an error that hides the valid signature after it.
        var hostile = _sigstore.Sign(Claim, _sigstore.Leaf($"https://github.com/acme/{new string('a', 40)}!", Issuer));
        var valid = _sigstore.Sign(Claim, _sigstore.Leaf(Subject, Issuer));
        var policy = new VerificationPolicy
        {
            Identities =
            [
                new KeylessIdentity { SubjectRegex = @"https://github\.com/acme/(a|aa)+", Issuer = Issuer },
                new KeylessIdentity { Subject = Subject, Issuer = Issuer },
            ],
            TrustedRoot = _sigstore.TrustedRoot,
        };

        var alone = await new ImageVerifier(_client).VerifyAsync(Image, _digest, policy, [hostile]);
        var beside = await new ImageVerifier(_client).VerifyAsync(Image, _digest, policy, [hostile, valid]);

        Assert.Equal(VerificationFailureReason.IdentityMismatch, alone.Reason);
        Assert.True(beside.IsVerified, beside.Message);
    }

    private Task<VerificationResult> VerifyAsync(params SigstoreBundle[] bundles) =>
        VerifyAsync(new KeylessIdentity { Subject = Subject, Issuer = Issuer }, bundles);

    private Task<VerificationResult> VerifyAsync(KeylessIdentity identity, params SigstoreBundle[] bundles) =>
        new ImageVerifier(_client).VerifyAsync(Image, _digest, new VerificationPolicy { Identities = [identity], TrustedRoot = _sigstore.TrustedRoot }, bundles);

    public void Dispose()
    {
        _client.Dispose();
        _sigstore.Dispose();
    }
}
