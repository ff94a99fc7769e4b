using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Commands.Signing;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme pull REF</c>: fetch an image (any supported layout), verify it, store it locally.</summary>
internal sealed class PullCommand : Command
{
    public PullCommand(CliContext context)
        : base("pull", "Pull a Wasm image from a registry into the local store, verifying every digest. Accepts the wasme, compat (OCI or Docker), wasm-to-oci and CNCF Wasm layouts.")
    {
        var reference = new Argument<string>("REF") { Description = "Image reference: registry/repo[:tag] or registry/repo@sha256:..." };
        var options = new RegistryOptions();
        var verification = new VerificationOptions();
        Arguments.Add(reference);
        options.AddTransferTo(this);
        verification.AddTo(this, withVerifyFlag: true);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var image = ImageReference.Parse(parseResult.GetValue(reference)!);
            var quiet = parseResult.GetValue(options.Quiet);
            var store = options.OpenStore(context, parseResult);
            using var client = options.CreateClient(context, parseResult);
            if (verification.Requested(parseResult))
            {
                // Verify the digest first, then pull exactly that digest: nothing unverified reaches the store,
                // and a tag moved in between cannot slip another image in.
                var policy = verification.BuildPolicy(context, parseResult);
                var digest = image.Digest ?? (await client.ResolveAsync(image, cancellationToken)).GetDigest();
                var verified = await VerificationOptions.VerifyOrThrowAsync(client, image, digest, policy, verification.ReadBundles(parseResult), cancellationToken);
                if (!quiet)
                {
                    context.Out.WriteLine($"Verified {image.WithoutDigest()}@{digest}: signed by {verified.Signer}", Style.Plain);
                }

                image = image.WithDigest(digest);
            }

            var pulled = await TransferDisplay.RunAsync(context, quiet, "pulled", progress => new ImagePuller(client).PullAsync(image, store, progress, cancellationToken));
            if (quiet)
            {
                context.Out.WriteLine(pulled.ManifestDigest.ToString(), Style.Plain);
                return ExitCodes.Success;
            }

            context.Out.WriteLine($"Pulled {image}", Style.Plain);
            context.Out.WriteLine($"Digest: {pulled.ManifestDigest}", Style.Plain);
            context.Out.WriteLine($"Layout: {pulled.Layout.ToDisplayName()}", Style.Plain);
            context.Out.WriteLine($"Module: {pulled.ModuleDigest} ({Sizes.Format(pulled.ModuleSize)})", Style.Plain);
            return ExitCodes.Success;
        }));
    }
}
