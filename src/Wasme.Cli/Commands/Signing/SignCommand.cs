using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Commands.Images;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;

namespace Wasme.Cli.Commands.Signing;

/// <summary><c>wasme sign REF --key cosign.key</c>: sign the image's manifest digest and attach the signature as cosign does.</summary>
internal sealed class SignCommand : Command
{
    public SignCommand(CliContext context)
        : base("sign", "Sign an image in its registry with a cosign key: an ECDSA signature over the manifest digest, attached at the sha256-<hex>.sig tag cosign uses.")
    {
        var reference = new Argument<string>("REF") { Description = "Image to sign, registry/repo:tag or registry/repo@sha256:... (a tag is resolved to its digest first)." };
        var key = new Option<string>("--key") { Description = "Private key: a file from 'wasme generate-key-pair' or cosign, or env://VAR.", Required = true };
        var bundle = new Option<string?>("--bundle") { Description = "Also write the signature as a Sigstore bundle (JSON) to this file." };
        var options = new RegistryOptions();
        Arguments.Add(reference);
        Options.Add(key);
        Options.Add(bundle);
        options.AddRegistryTo(this);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var image = ImageReference.Parse(parseResult.GetValue(reference)!);
            var (pem, source) = KeySource.Read(context, parseResult.GetValue(key)!, "--key");
            var bundlePath = parseResult.GetValue(bundle);
            if (bundlePath is not null && Path.GetDirectoryName(Path.GetFullPath(bundlePath)) is { } directory && !Directory.Exists(directory))
            {
                throw new OciUsageException($"--bundle {bundlePath}: directory {directory} does not exist.");
            }

            using var privateKey = CosignKeys.DecryptPrivateKey(pem, PasswordSource.Read(context, confirm: false), source);
            using var client = options.CreateClient(context, parseResult);
            var signed = await new ImageSigner(client).SignAsync(image, privateKey, cancellationToken);
            if (bundlePath is not null)
            {
                await File.WriteAllBytesAsync(bundlePath, signed.Bundle.ToJson(), cancellationToken);
            }

            context.Out.WriteLine($"Signed {image.WithoutDigest()}@{signed.ManifestDigest}", Style.Plain);
            context.Out.WriteLine($"Signature: {signed.SignatureReference}", Style.Plain);
            context.Out.WriteLine($"Key: {signed.KeyId}", Style.Plain);
            if (bundlePath is not null)
            {
                context.Out.WriteLine($"Bundle: {bundlePath}", Style.Plain);
            }

            return ExitCodes.Success;
        }));
    }
}
