using System.CommandLine;
using System.Text.Json;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Signing.Bundles;
using Wasme.Signing.Keys;
using Wasme.Signing.Verification;

namespace Wasme.Cli.Commands.Signing;

/// <summary>What to trust, as <c>verify</c>, <c>pull --verify</c> and <c>run --verify</c> take it (cosign's flag names).</summary>
internal sealed class VerificationOptions
{
    public Option<bool> Verify { get; } = new("--verify")
    {
        Description = "Refuse the image (exit 6) unless it carries a signature the --key or --certificate-* options accept.",
    };

    public Option<string[]> Keys { get; } = new("--key")
    {
        Description = "Public key (PEM file or env://VAR) whose signatures are accepted (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Identity { get; } = new("--certificate-identity") { Description = "Keyless: the signer's identity (email or URI) in the Fulcio certificate." };

    public Option<string?> IdentityRegex { get; } = new("--certificate-identity-regexp") { Description = "Keyless: a regular expression the whole identity must match." };

    public Option<string?> Issuer { get; } = new("--certificate-oidc-issuer") { Description = "Keyless: the OIDC issuer that vouched for the signer, e.g. https://token.actions.githubusercontent.com." };

    public Option<string?> IssuerRegex { get; } = new("--certificate-oidc-issuer-regexp") { Description = "Keyless: a regular expression the whole issuer must match." };

    public Option<string?> TrustRoot { get; } = new("--trust-root") { Description = "Keyless: Sigstore trusted root JSON (Fulcio CAs and Rekor keys); nothing is fetched." };

    public Option<string[]> Bundles { get; } = new("--bundle")
    {
        Description = "Sigstore bundle file(s) to try besides the signatures attached in the registry (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Adds the trust options; <paramref name="withVerifyFlag"/> for commands where verifying is optional (pull, run).</summary>
    public void AddTo(Command command, bool withVerifyFlag)
    {
        if (withVerifyFlag)
        {
            command.Options.Add(Verify);
        }

        foreach (var option in new Option[] { Keys, Identity, IdentityRegex, Issuer, IssuerRegex, TrustRoot, Bundles })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// True when pull or run must verify: --verify, or any trust option given. Any, not only the complete
    /// ones: an issuer, trust root or bundle alone is a policy missing a part (a usage error naming it),
    /// never a reason to pull unverified.
    /// </summary>
    public bool Requested(ParseResult parseResult) =>
        parseResult.GetValue(Verify)
        || (parseResult.GetValue(Keys)?.Length ?? 0) > 0
        || (parseResult.GetValue(Bundles)?.Length ?? 0) > 0
        || new[] { Identity, IdentityRegex, Issuer, IssuerRegex, TrustRoot }.Any(o => parseResult.GetValue(o) is not null);

    public async Task<VerificationPolicy> BuildPolicyAsync(CliContext context, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        foreach (var k in parseResult.GetValue(Keys) ?? [])
        {
            var (pem, source) = await KeySource.ReadAsync(context, k, "--key", cancellationToken);
            // Every key in the file counts (old and new during a rotation). Each is read now, so a private key or a
            // damaged file is named with its source before any registry call.
            var blocks = CosignKeys.SplitPublicKeys(pem);
            for (var i = 0; i < blocks.Count; i++)
            {
                using var _ = CosignKeys.ImportPublicKey(blocks[i], blocks.Count == 1 ? source : $"{source} (key {i + 1})");
            }

            keys.AddRange(blocks);
        }

        var identities = new List<KeylessIdentity>();
        var (subject, subjectRegex) = (parseResult.GetValue(Identity), parseResult.GetValue(IdentityRegex));
        var (issuer, issuerRegex) = (parseResult.GetValue(Issuer), parseResult.GetValue(IssuerRegex));
        if (subject is not null || subjectRegex is not null || issuer is not null || issuerRegex is not null)
        {
            identities.Add(new KeylessIdentity { Subject = subject, SubjectRegex = subjectRegex, Issuer = issuer, IssuerRegex = issuerRegex });
        }

        TrustedRoot? trustedRoot = null;
        if (parseResult.GetValue(TrustRoot) is { } rootPath)
        {
            var root = await SigningFiles.ReadTextAsync(rootPath, "--trust-root", SigningFiles.MaxDocumentSize,
                "Sigstore's trusted_root.json (for the public instance: the trusted_root.json target of its TUF repository)", cancellationToken);
            trustedRoot = VerificationPolicy.ParseTrustedRoot(root, rootPath);
        }

        var policy = new VerificationPolicy { PublicKeys = keys, Identities = identities, TrustedRoot = trustedRoot };
        if (policy.IsEmpty)
        {
            throw CommandException.Usage("Nothing to verify against: give --key cosign.pub, or --certificate-identity, --certificate-oidc-issuer and --trust-root for keyless signatures.");
        }

        policy.Validate();
        return policy;
    }

    public async Task<IReadOnlyList<SigstoreBundle>> ReadBundlesAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var bundles = new List<SigstoreBundle>();
        foreach (var path in parseResult.GetValue(Bundles) ?? [])
        {
            var bundle = await SigningFiles.ReadAsync(path, "--bundle", SigningFiles.MaxDocumentSize, "a Sigstore bundle (the JSON 'wasme sign --bundle' or cosign writes)", cancellationToken);
            try
            {
                bundles.Add(SigstoreBundle.Parse(bundle));
            }
            catch (JsonException ex)
            {
                throw CommandException.Usage($"--bundle {path} is not a Sigstore bundle: {ex.Message}");
            }
        }

        return bundles;
    }

    /// <summary>The image as messages name it: its tag when it has one (a bare digest is no ':latest').</summary>
    public static string Describe(ImageReference image, Digest digest) => $"{(image.Tag is null ? image.Name : image.WithoutDigest().ToString())}@{digest}";

    /// <summary>Verifies or throws an integrity error (exit 6) whose message names the reason.</summary>
    public static async Task<VerificationResult> VerifyOrThrowAsync(RegistryClient client, ImageReference reference, Digest digest, VerificationPolicy policy, IReadOnlyList<SigstoreBundle> bundles, CancellationToken cancellationToken)
    {
        var result = await new ImageVerifier(client).VerifyAsync(reference, digest, policy, bundles, cancellationToken);
        if (result.IsVerified)
        {
            return result;
        }

        // The first line names the most telling reason; with several signatures, one line each says why it was refused,
        // so a hostile signature beside the expected one is seen for what it is.
        var each = result.Rejections.Count > 1
            ? string.Concat(result.Rejections.Select(r => $"\n  {r.Source}: {ImageVerifier.Describe(r.Reason)}: {r.Message}"))
            : string.Empty;
        throw new OciIntegrityException($"{(reference.Tag is null ? reference.Name : reference.WithoutDigest().ToString())}: {result.Message}{each}");
    }
}
