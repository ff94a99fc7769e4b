using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Commands.Images;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Signing;

/// <summary><c>wasme verify REF --key cosign.pub</c> (or keyless identity options): exit 0 when signed as required, 6 naming the reason otherwise.</summary>
internal sealed class VerifyCommand : Command
{
    public VerifyCommand(CliContext context)
        : base("verify", "Verify an image's signatures in its registry (cosign's .sig tag) and in --bundle files: by public key, or keyless by Fulcio identity with a Rekor entry. Exit 6 names the reason on failure.")
    {
        var reference = new Argument<string>("REF") { Description = "Image to verify (a tag is resolved to its digest)." };
        var verification = new VerificationOptions();
        var options = new RegistryOptions();
        Arguments.Add(reference);
        verification.AddTo(this, withVerifyFlag: false);
        options.AddRegistryTo(this);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var image = ImageReference.Parse(parseResult.GetValue(reference)!);
            var policy = verification.BuildPolicy(context, parseResult);
            var bundles = verification.ReadBundles(parseResult);
            using var client = options.CreateClient(context, parseResult);
            var digest = image.Digest ?? (await client.ResolveAsync(image, cancellationToken)).GetDigest();
            var result = await VerificationOptions.VerifyOrThrowAsync(client, image, digest, policy, bundles, cancellationToken);
            context.Out.WriteLine($"Verified {image.WithoutDigest()}@{digest}: signed by {result.Signer}", Style.Plain);
            return ExitCodes.Success;
        }));
    }
}
