using System.CommandLine;
using System.Text.Json.Serialization;
using Spectre.Console;
using Wasme.Cli.Commands.Images;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Signing;

/// <summary><c>wasme verify REF --key cosign.pub</c> (or keyless identity options): exit 0 when signed as required, 6 naming the reason otherwise.</summary>
internal sealed class VerifyCommand : WasmeCommand
{
    private readonly Argument<string> _reference = new("REF") { Description = "Image to verify (a tag is resolved to its digest)." };
    private readonly VerificationOptions _verification = new();
    private readonly RegistryOptions _options = new();
    private readonly EnumOption<OutputFormat> _output;

    public VerifyCommand(CliContext context)
        : base(context, "verify", "Verify an image's signatures in its registry (cosign's .sig tag) and in --bundle files: by public key, or keyless by Fulcio identity with a Rekor entry. A signature binds the manifest digest; the repository named in its claim is not compared, as in cosign, so a copied image stays verified (use one key or identity per repository to tell them apart). Exit 6 names the reason on failure.")
    {
        Arguments.Add(_reference);
        _verification.AddTo(this, withVerifyFlag: false);
        _options.AddRegistryTo(this);
        _output = AddOutputOption();
        Example("Verify an image against a public key", "wasme verify ghcr.io/acme/add-header:v1 --key cosign.pub");
        Example("Verify a keyless signature made in GitHub Actions", "wasme verify ghcr.io/acme/add-header:v1 --certificate-identity-regexp '^https://github\\.com/acme/.*' --certificate-oidc-issuer https://token.actions.githubusercontent.com --trust-root trusted_root.json");
        Example("Print the verified digest for a script", "wasme verify ghcr.io/acme/add-header:v1 --key cosign.pub -o json | jq -r .digest");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var image = ImageReference.Parse(parseResult.GetValue(_reference)!);
        var policy = await _verification.BuildPolicyAsync(Context, parseResult, cancellationToken);
        var bundles = await _verification.ReadBundlesAsync(parseResult, cancellationToken);
        using var client = _options.CreateClient(Context, parseResult);
        // Resolved even when pinned: a signature is no use for a manifest the registry does not hold (exit 3).
        var digest = (await client.ResolveAsync(image, cancellationToken)).GetDigest();
        var result = await VerificationOptions.VerifyOrThrowAsync(client, image, digest, policy, bundles, cancellationToken);
        var format = _output.ValueOf(parseResult);
        if (format.IsData())
        {
            DataOutput.Write(Context, format, new VerifyResult(image.WithoutDigest().ToString(), digest.ToString(), Verified: true, result.Signer), SigningJsonContext.Default.VerifyResult);
            return ExitCodes.Success;
        }

        Context.Out.WriteLine($"Verified {VerificationOptions.Describe(image, digest)}: signed by {result.Signer}", Style.Plain);
        return ExitCodes.Success;
    }
}

/// <summary><c>wasme verify -o json</c>: the image, the digest verified and who signed it (a failure exits 6 and prints nothing here).</summary>
internal sealed record VerifyResult(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("verified")] bool Verified,
    [property: JsonPropertyName("signer")] string? Signer);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VerifyResult))]
internal sealed partial class SigningJsonContext : JsonSerializerContext;
