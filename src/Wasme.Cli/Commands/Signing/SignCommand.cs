using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Commands.Images;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.References;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;

namespace Wasme.Cli.Commands.Signing;

/// <summary><c>wasme sign REF --key cosign.key</c>: sign the image's manifest digest and attach the signature as cosign does.</summary>
internal sealed class SignCommand : WasmeCommand
{
    private readonly Argument<string> _reference = new("REF") { Description = "Image to sign, registry/repo:tag or registry/repo@sha256:... (a tag is resolved to its digest first)." };
    private readonly Option<string> _key = new("--key") { Description = "Private key: a file from 'wasme generate-key-pair' or cosign, or env://VAR.", Required = true };
    private readonly Option<string?> _bundle = new("--bundle") { Description = "Also write the signature as a Sigstore bundle (JSON) to this file." };
    private readonly RegistryOptions _options = new();

    public SignCommand(CliContext context)
        : base(context, "sign", "Sign an image in its registry with a cosign key: an ECDSA signature over the manifest digest, attached at the sha256-<hex>.sig tag cosign uses.")
    {
        Arguments.Add(_reference);
        Options.Add(_key);
        Options.Add(_bundle);
        _options.AddRegistryTo(this);
        Example("Sign a pushed image with a key made by 'wasme generate-key-pair'", "wasme sign ghcr.io/acme/add-header:v1 --key cosign.key");
        Example("Sign in CI with the key in a variable, keeping a Sigstore bundle", "COSIGN_PASSWORD=\"$PW\" wasme sign ghcr.io/acme/add-header:v1 --key env://COSIGN_PRIVATE_KEY --bundle add-header.sigstore.json");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var image = ImageReference.Parse(parseResult.GetValue(_reference)!);
        var (pem, source) = await KeySource.ReadAsync(Context, parseResult.GetValue(_key)!, "--key", cancellationToken);
        var bundlePath = parseResult.GetValue(_bundle);
        if (bundlePath is not null && Path.GetDirectoryName(Path.GetFullPath(bundlePath)) is { } directory && !Directory.Exists(directory))
        {
            throw CommandException.Usage($"--bundle {bundlePath}: directory {directory} does not exist.");
        }

        if (bundlePath is not null && Directory.Exists(bundlePath))
        {
            // Found before signing: once the signature is pushed, a bundle that cannot be written is a half-done command.
            throw CommandException.Usage($"--bundle {bundlePath} is a directory; give a file path, e.g. {Path.Combine(bundlePath, "bundle.sigstore.json")}.");
        }

        using var privateKey = CosignKeys.DecryptPrivateKey(pem, PasswordSource.Read(Context, confirm: false), source);
        using var client = _options.CreateClient(Context, parseResult);
        var signed = await new ImageSigner(client).SignAsync(image, privateKey, cancellationToken);
        if (bundlePath is not null)
        {
            await OutputFiles.WriteAsync(bundlePath, signed.Bundle.ToJson(), null, cancellationToken);
        }

        Context.Out.WriteLine($"Signed {VerificationOptions.Describe(image, signed.ManifestDigest)}", Style.Plain);
        Context.Out.WriteLine($"Signature: {signed.SignatureReference}", Style.Plain);
        Context.Out.WriteLine($"Key: {signed.KeyId}", Style.Plain);
        if (bundlePath is not null)
        {
            Context.Out.WriteLine($"Bundle: {bundlePath}", Style.Plain);
        }

        return ExitCodes.Success;
    }
}
