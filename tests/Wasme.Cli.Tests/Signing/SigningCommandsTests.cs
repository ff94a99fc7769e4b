using System.Text.Json;
using Wasme.Cli.Commands.Signing;
using Wasme.Cli.Tests.Images;
using Wasme.Oci;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;
using Wasme.Testing.Signing;

namespace Wasme.Cli.Tests.Signing;

/// <summary>generate-key-pair, sign, verify and pull --verify as a user runs them, against a real docker-registry.</summary>
public sealed class SigningCommandsTests : IAsyncLifetime
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Subject = "https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main";
    private DockerRegistryProcess _registry = null!;

    public async Task InitializeAsync() => _registry = await DockerRegistryProcess.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task A_pushed_image_signed_with_a_generated_key_verifies_and_pulls_with_verify()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", "s3cret");
        var prefix = Path.Combine(cli.Home, "cosign");
        var reference = await PushAsync(cli, "signed/filter:v1", seed: 1);

        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", await File.ReadAllTextAsync(prefix + ".key"), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
        }

        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", prefix + ".key", "--bundle", Path.Combine(cli.Home, "b.json")));
        Assert.Contains(".sig", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("verify", reference, "--key", prefix + ".pub"));
        Assert.Contains("Verified", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("verify", reference, "--key", prefix + ".pub", "-o", "json"));
        using (var verified = JsonDocument.Parse(cli.Out.Output))
        {
            Assert.True(verified.RootElement.GetProperty("verified").GetBoolean());
            Assert.StartsWith("sha256:", verified.RootElement.GetProperty("digest").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("key sha256:", verified.RootElement.GetProperty("signer").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await cli.RunAsync("rmi", reference));
        Assert.Equal(0, await cli.RunAsync("pull", reference, "--verify", "--key", prefix + ".pub"));
        Assert.NotNull(await new LocalImageStore(cli.Store).FindAsync(ImageReference.Parse(reference)));
        Assert.Equal(0, await cli.RunAsync("inspect", reference, "--remote"));
        Assert.Contains("Signatures", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("key sha256:", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verification_failures_exit_6_naming_the_reason_and_pull_stores_nothing()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var signer = Path.Combine(cli.Home, "signer");
        var other = Path.Combine(cli.Home, "other");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", signer));
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", other));
        var signed = await PushAsync(cli, "failures/filter:signed", seed: 2);
        var unsigned = await PushAsync(cli, "failures/filter:unsigned", seed: 3);
        Assert.Equal(0, await cli.RunAsync("sign", signed, "--key", signer + ".key"));
        Assert.Equal(0, await cli.RunAsync("rmi", unsigned));

        Assert.Equal(6, await cli.RunAsync("verify", signed, "--key", other + ".pub"));
        Assert.Contains("wrong key", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(6, await cli.RunAsync("verify", unsigned, "--key", signer + ".pub"));
        Assert.Contains("no signature", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(6, await cli.RunAsync("pull", unsigned, "--verify", "--key", signer + ".pub"));
        Assert.Null(await new LocalImageStore(cli.Store).FindAsync(ImageReference.Parse(unsigned)));
    }

    [Fact]
    public async Task Pull_verify_refused_after_the_signature_verified_never_prints_verified()
    {
        // The signature holds, but the pull itself is refused (the module is past --max-module-size): nothing is stored,
        // so nothing may claim the image was verified.
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var reference = await PushAsync(cli, "later/filter:v1", seed: 14);
        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", prefix + ".key"));
        Assert.Equal(0, await cli.RunAsync("rmi", reference));

        Assert.Equal(6, await cli.RunAsync("pull", reference, "--key", prefix + ".pub", "--max-module-size", "100"));
        Assert.DoesNotContain("Verified", cli.Out.Output, StringComparison.Ordinal);
        Assert.Null(await new LocalImageStore(cli.Store).FindAsync(ImageReference.Parse(reference)));
        Assert.Equal(0, await cli.RunAsync("pull", reference, "--key", prefix + ".pub"));
        var lines = cli.Out.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Verified ", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("Pulled ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refusal_of_several_signatures_names_each_and_why()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var first = Path.Combine(cli.Home, "first");
        var second = Path.Combine(cli.Home, "second");
        var trusted = Path.Combine(cli.Home, "trusted");
        foreach (var prefix in new[] { first, second, trusted })
        {
            Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        }

        var reference = await PushAsync(cli, "several/filter:v1", seed: 15);
        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", first + ".key"));
        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", second + ".key"));

        Assert.Equal(6, await cli.RunAsync("verify", reference, "--key", trusted + ".pub"));
        Assert.Contains(".sig layer 1: wrong key", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains(".sig layer 2: wrong key", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("verify", reference, "--key", second + ".pub"));
    }

    [Fact]
    public async Task Missing_key_files_exit_3_and_missing_passwords_2_with_the_fix()
    {
        using var cli = new ImageCli();
        var reference = await PushAsync(cli, "usage/filter:v1", seed: 4);

        // A missing file is "not found" (3), as in every command; what is missing from the command line is usage (2).
        Assert.Equal(3, await cli.RunAsync("verify", reference, "--key", Path.Combine(cli.Home, "missing.pub")));
        Assert.Contains("no such file", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("verify", reference));
        Assert.Contains("--key cosign.pub", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("sign", reference, "--key", "env://WASME_TEST_UNSET_KEY"));
        Assert.Contains("WASME_TEST_UNSET_KEY", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("generate-key-pair", "--output-key-prefix", Path.Combine(cli.Home, "k")));
        Assert.Contains("COSIGN_PASSWORD", cli.Error.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "k.key")));
        Assert.Equal(2, await cli.RunAsync("verify", reference, "--certificate-identity", Subject, "--certificate-oidc-issuer", Issuer));
        Assert.Contains("--trust-root", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_bundle_and_trust_root_files_past_their_bounds_are_refused_before_they_are_read()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", "s3cret");
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var huge = Path.Combine(cli.Home, "huge.json");
        await using (var file = File.Create(huge))
        {
            file.SetLength(SigningFiles.MaxDocumentSize + 1);
        }

        // No registry is reached: each file is refused while the policy is read.
        const string image = "127.0.0.1:1/bounds/filter:v1";
        Assert.Equal(2, await cli.RunAsync("verify", image, "--key", huge));
        Assert.Contains($"--key {huge} is {SigningFiles.MaxDocumentSize + 1} bytes, more than the {SigningFiles.MaxKeySize}", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("verify", image, "--key", prefix + ".pub", "--bundle", huge));
        Assert.Contains($"--bundle {huge} is {SigningFiles.MaxDocumentSize + 1} bytes", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("verify", image, "--certificate-identity", Subject, "--certificate-oidc-issuer", Issuer, "--trust-root", huge));
        Assert.Contains("check that this is the right file", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_bundle_and_trust_root_files_that_never_end_are_refused_at_their_bound_instead_of_read_into_memory()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // /dev/zero reports a length of 0: a bound checked on the length alone let it be read until memory ran out.
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", "s3cret");
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        const string image = "127.0.0.1:1/bounds/filter:v1";
        const string endless = "/dev/zero";

        Assert.Equal(2, await cli.RunAsync("verify", image, "--key", prefix + ".pub", "--bundle", endless));
        Assert.Contains($"--bundle: {endless} is larger than", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("verify", image, "--certificate-identity", Subject, "--certificate-oidc-issuer", Issuer, "--trust-root", endless));
        Assert.Contains($"--trust-root: {endless} is larger than", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("verify", image, "--key", endless));
        Assert.Contains($"--key: {endless} is larger than 64 KiB", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("sign", image, "--key", endless));
        Assert.Contains($"--key: {endless} is larger than", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected failure", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_given_as_a_key_is_named_as_one()
    {
        using var cli = new ImageCli();

        Assert.Equal(2, await cli.RunAsync("verify", "127.0.0.1:1/bounds/filter:v1", "--key", cli.Home));

        Assert.Contains($"--key {cli.Home} is a directory", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_given_only_part_of_a_policy_refuses_as_usage_instead_of_pulling_unverified()
    {
        using var cli = new ImageCli();
        var unsigned = await PushAsync(cli, "partial/filter:unsigned", seed: 9);
        Assert.Equal(0, await cli.RunAsync("rmi", unsigned));
        var bundle = Path.Combine(cli.Home, "b.json");
        await File.WriteAllTextAsync(bundle, """{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}""");
        var root = Path.Combine(cli.Home, "trusted_root.json");
        await File.WriteAllTextAsync(root, "{}");

        Assert.Equal(2, await cli.RunAsync("pull", unsigned, "--bundle", bundle));
        Assert.Contains("--key cosign.pub", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("pull", unsigned, "--certificate-oidc-issuer", Issuer, "--trust-root", root));
        Assert.Equal(2, await cli.RunAsync("pull", unsigned, "--certificate-oidc-issuer-regexp", ".*"));
        Assert.Null(await new LocalImageStore(cli.Store).FindAsync(ImageReference.Parse(unsigned)));
    }

    [Fact]
    public async Task Signing_a_digest_the_registry_does_not_hold_exits_3_and_attaches_nothing()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var pushed = ImageReference.Parse(await PushAsync(cli, "absent/filter:v1", seed: 10));
        var typo = pushed.WithDigest(Digest.Compute("no such manifest"u8));

        Assert.Equal(3, await cli.RunAsync("sign", typo.ToString(), "--key", prefix + ".key"));
        Assert.Contains("not found", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Signed", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("list", "--remote", pushed.Name));
        Assert.DoesNotContain(".sig", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generated_key_files_end_with_a_newline_so_concatenated_keys_stay_readable()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var signer = Path.Combine(cli.Home, "signer");
        var other = Path.Combine(cli.Home, "other");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", signer));
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", other));
        var reference = await PushAsync(cli, "newline/filter:v1", seed: 11);
        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", signer + ".key"));
        Assert.EndsWith("-----\n", await File.ReadAllTextAsync(signer + ".key"), StringComparison.Ordinal);
        var both = Path.Combine(cli.Home, "both.pub");
        await File.WriteAllTextAsync(both, await File.ReadAllTextAsync(signer + ".pub") + await File.ReadAllTextAsync(other + ".pub"));

        Assert.Equal(0, await cli.RunAsync("verify", reference, "--key", both));
        // A rotation's file lists the new key after the old one: every key in it counts, not only the first.
        var rotated = Path.Combine(cli.Home, "rotated.pub");
        await File.WriteAllTextAsync(rotated, await File.ReadAllTextAsync(other + ".pub") + await File.ReadAllTextAsync(signer + ".pub"));
        Assert.Equal(0, await cli.RunAsync("verify", reference, "--key", rotated));
        Assert.Equal(6, await cli.RunAsync("verify", reference, "--key", other + ".pub"));
    }

    [Fact]
    public async Task Verifying_a_digest_the_registry_does_not_hold_exits_3_even_with_a_signature_for_it()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var pushed = ImageReference.Parse(await PushAsync(cli, "ghost/filter:v1", seed: 12));
        var ghost = Digest.Compute("no such manifest"u8);
        using (var key = CosignKeys.DecryptPrivateKey(await File.ReadAllTextAsync(prefix + ".key"), string.Empty, "cosign.key"))
        using (var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance))
        {
            // A signature for a digest nothing was pushed under (cosign and older wasme attach one without looking).
            var payload = SimpleSigningPayload.Create(pushed.Name, ghost);
            var annotations = new Dictionary<string, string> { [CosignAnnotations.Signature] = Convert.ToBase64String(ImageSigner.Sign(key, payload)) };
            await new CosignSignatureStore(client).AttachAsync(pushed, ghost, new CosignSignature(payload, annotations));
        }

        Assert.Equal(3, await cli.RunAsync("verify", pushed.WithDigest(ghost).ToString(), "--key", prefix + ".pub"));
        Assert.Contains("not found", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("sign", pushed.ToString(), "--key", prefix + ".key"));
        var digest = (await new LocalImageStore(cli.Store).GetAsync(pushed)).ManifestDigest;
        Assert.Equal(0, await cli.RunAsync("verify", $"{pushed.Name}@{digest}", "--key", prefix + ".pub"));
        Assert.Contains($"Verified {pushed.Name}@{digest}: signed by", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_verify_refuses_an_unsigned_image_before_serving_and_a_wasm_file_as_usage()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var unsigned = await PushAsync(cli, "run/filter:unsigned", seed: 7);
        var file = Path.Combine(cli.Home, "filter.wasm");
        await File.WriteAllBytesAsync(file, TestWasmModule.Create(300, 8));

        Assert.Equal(6, await cli.RunAsync("run", unsigned, "--verify", "--key", prefix + ".pub", "--echo-upstream", "--listen", "127.0.0.1:0"));
        Assert.Contains("no signature", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(2, await cli.RunAsync("run", file, "--verify", "--key", prefix + ".pub", "--echo-upstream", "--listen", "127.0.0.1:0"));
        Assert.Contains("is a file", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_verify_says_verified_only_once_the_filter_serves_not_before_a_later_refusal()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var signed = await PushAsync(cli, "run/filter:signed", seed: 8);
        Assert.Equal(0, await cli.RunAsync("sign", signed, "--key", prefix + ".key"));

        Assert.Equal(2, await cli.RunAsync("run", signed, "--verify", "--key", prefix + ".pub", "--root-id", "nope", "--echo-upstream", "--listen", "127.0.0.1:0"));

        Assert.Contains("not a root id", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Verified", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_given_as_env_var_signs()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", "pw");
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        cli.WithEnvironment("SIGNING_KEY", await File.ReadAllTextAsync(prefix + ".key"))
            .WithEnvironment("VERIFY_KEY", await File.ReadAllTextAsync(prefix + ".pub"));
        var reference = await PushAsync(cli, "env/filter:v1", seed: 5);

        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", "env://SIGNING_KEY"));
        Assert.Equal(0, await cli.RunAsync("verify", reference, "--key", "env://VERIFY_KEY"));
    }

    [Fact]
    public async Task A_keyless_signature_by_sigstore_js_verifies_for_its_identity_and_an_expired_one_is_refused()
    {
        using var cli = new ImageCli();
        var reference = await PushAsync(cli, "keyless/filter:v1", seed: 6);
        var digest = (await new LocalImageStore(cli.Store).GetAsync(ImageReference.Parse(reference))).ManifestDigest;
        var payload = Path.Combine(cli.Home, "payload.json");
        await File.WriteAllBytesAsync(payload, Wasme.Signing.Cosign.SimpleSigningPayload.Create(ImageReference.Parse(reference).Name, digest));
        string[] Sign(string name, int offset) =>
            ["keyless-sign", "--payload", payload, "--subject", Subject, "--issuer", Issuer, "--bundle", Path.Combine(cli.Home, $"{name}.json"), "--trusted-root", Path.Combine(cli.Home, $"{name}-root.json"), "--log-offset-seconds", $"{offset}"];
        await SigstorePeer.RunAsync(Sign("fresh", 0));
        await SigstorePeer.RunAsync(Sign("late", 3600));
        string[] Verify(string name, string subject) =>
            ["verify", reference, "--bundle", Path.Combine(cli.Home, $"{name}.json"), "--trust-root", Path.Combine(cli.Home, $"{name}-root.json"), "--certificate-identity", subject, "--certificate-oidc-issuer", Issuer];

        Assert.Equal(0, await cli.RunAsync(Verify("fresh", Subject)));
        Assert.Contains($"signed by {Subject} from {Issuer}", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(6, await cli.RunAsync(Verify("fresh", "https://github.com/mallory/filters/.github/workflows/release.yml@refs/heads/main")));
        Assert.Contains("wrong identity", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(6, await cli.RunAsync(Verify("late", Subject)));
        Assert.Contains("expired or not yet valid certificate", cli.Error.Output, StringComparison.Ordinal);
    }

    private async Task<string> PushAsync(ImageCli cli, string repositoryAndTag, byte seed)
    {
        var reference = $"{_registry.Host}/{repositoryAndTag}";
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(400, seed), RuntimeConfig.Create(["v0.2.1"], ["add_header"]));
        Assert.Equal(0, await cli.RunAsync("push", reference));
        return reference;
    }
}
