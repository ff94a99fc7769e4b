using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Operator.Tests.Support;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;

namespace Wasme.Operator.Tests.Verification;

/// <summary>
/// spec.filter.verification (issue 18): only a digest signed by a listed key is applied; an unsigned or
/// wrongly signed one is refused with a condition naming the reason, and what was applied stays applied.
/// Signatures are made with wasme's signer and read from the real docker-registry.
/// </summary>
public sealed class SignatureVerificationTests : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly RegistryFixture _registry;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RegistryClient _client = new(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);

    public SignatureVerificationTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    public void Dispose()
    {
        _key.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task A_signed_image_is_applied_and_the_same_module_repushed_unsigned_is_refused_while_the_signed_one_stays()
    {
        var signed = await _registry.PushAsync("verify/filter:v1");
        await new ImageSigner(_client).SignAsync(ImageReference.Parse(signed.Reference), _key);
        // The same module under another tag, in another layout: another manifest digest, which nobody signed.
        var unsigned = await _registry.PushAsync("verify/filter:v2", format: WasmImageFormat.Compat);
        Assert.NotEqual(signed.ManifestDigest, unsigned.ManifestDigest);
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        harness.Apply(Verified(Manifests.FilterDeployment("f", signed.Reference), CosignKeys.ExportPublicKey(_key)));

        await harness.EventuallyAsync(() => harness.IsReady("f"), "the signed image is applied");
        Assert.Equal("True", (string?)harness.Condition("f", "Verified")!["status"]);
        Assert.Contains("signed by key", (string?)harness.Condition("f", "Verified")!["message"], StringComparison.Ordinal);
        var applied = harness.EnvoyFilter("details-v1-f.bookinfo")!.ToJsonString();

        harness.Apply(Verified(Manifests.FilterDeployment("f", unsigned.Reference), CosignKeys.ExportPublicKey(_key)));

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "Verified")?["reason"] == "NoSignature", "the unsigned digest is refused");
        Assert.Equal("False", (string?)harness.Condition("f", "Ready")!["status"]);
        Assert.Equal("VerificationFailed", (string?)harness.Condition("f", "Ready")!["reason"]);
        Assert.Contains(unsigned.ManifestDigest, (string?)harness.Condition("f", "Verified")!["message"], StringComparison.Ordinal);
        // Nothing moved to the unsigned digest: the cache reads status.imageDigest, the proxies the EnvoyFilter.
        Assert.Equal(signed.ManifestDigest, (string?)harness.FilterDeployment("f")!["status"]!["imageDigest"]);
        Assert.Equal(applied, harness.EnvoyFilter("details-v1-f.bookinfo")!.ToJsonString());
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("f")).Any(e => (string?)e["reason"] == "VerificationFailed" && (string?)e["type"] == "Warning"),
            "a Warning Event names the refusal");
    }

    [Fact]
    public async Task A_signature_by_another_key_is_refused_as_wrong_key_before_anything_is_applied()
    {
        var image = await _registry.PushAsync("verify/other-key:v1", seed: 3);
        using var someoneElse = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await new ImageSigner(_client).SignAsync(ImageReference.Parse(image.Reference), someoneElse);
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        harness.Apply(Verified(Manifests.FilterDeployment("f", image.Reference), CosignKeys.ExportPublicKey(_key)));

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "Verified")?["reason"] == "WrongKey", "the signature by another key is refused");
        Assert.Equal("False", (string?)harness.Condition("f", "Applied")!["status"]);
        Assert.Null(harness.FilterDeployment("f")!["status"]!["imageDigest"]);
        Assert.Empty(await harness.EnvoyFiltersAsync());
    }

    [Fact]
    public async Task Under_Warn_an_unsigned_image_is_applied_with_Verified_False_and_a_Warning_Event()
    {
        var image = await _registry.PushAsync("verify/warn:v1", seed: 4);
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        harness.Apply(Verified(Manifests.FilterDeployment("f", image.Reference), CosignKeys.ExportPublicKey(_key), policy: "Warn"));

        await harness.EventuallyAsync(() => harness.IsReady("f"), "applied despite the missing signature");
        Assert.Equal("NoSignature", (string?)harness.Condition("f", "Verified")!["reason"]);
        Assert.Contains("policy: Warn", (string?)harness.Condition("f", "Verified")!["message"], StringComparison.Ordinal);
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("f")).Any(e => (string?)e["reason"] == "NoSignature" && (string?)e["type"] == "Warning"),
            "a Warning Event tells of the unsigned image");
    }

    [Fact]
    public async Task A_policy_wasme_cannot_use_is_named_with_its_fix_and_nothing_is_applied()
    {
        var image = await _registry.PushAsync("verify/bad-policy:v1", seed: 5);
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        var keyless = Manifests.FilterDeployment("keyless", image.Reference);
        keyless["spec"]!["filter"]!["verification"] = new JsonObject
        {
            ["identities"] = new JsonArray(new JsonObject { ["issuer"] = "https://token.actions.githubusercontent.com", ["subjectRegExp"] = "^https://github.com/acme/.*$" }),
        };

        harness.Apply(Verified(Manifests.FilterDeployment("garbled", image.Reference), "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n"));
        harness.Apply(keyless);

        await harness.EventuallyAsync(() => (string?)harness.Condition("garbled", "Verified")?["reason"] == "InvalidVerificationPolicy", "a garbled key is a policy error");
        Assert.Contains("publicKeys[0]", (string?)harness.Condition("garbled", "Verified")!["message"], StringComparison.Ordinal);
        await harness.EventuallyAsync(() => (string?)harness.Condition("keyless", "Verified")?["reason"] == "InvalidVerificationPolicy", "identities without a trusted root are a policy error");
        Assert.Contains("--sigstore-trusted-root", (string?)harness.Condition("keyless", "Verified")!["message"], StringComparison.Ordinal);
        Assert.Empty(await harness.EnvoyFiltersAsync());
    }

    [Fact]
    public async Task The_API_server_refuses_a_verification_with_neither_keys_nor_identities()
    {
        await using var harness = await OperatorHarness.StartAsync();
        var empty = Verified(Manifests.FilterDeployment("empty", "registry.example/f:v1"), key: null);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => harness.KubectlApplyAsync(empty));

        Assert.Contains("give at least one of publicKeys or identities", error.Message, StringComparison.Ordinal);
    }

    private static JsonObject Verified(JsonObject deployment, string? key, string policy = "Enforce")
    {
        var verification = new JsonObject { ["policy"] = policy };
        if (key is not null)
        {
            verification["publicKeys"] = new JsonArray(key);
        }

        deployment["spec"]!["filter"]!["verification"] = verification;
        return deployment;
    }
}
