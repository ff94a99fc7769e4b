using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Commands.Signing;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme pull REF</c>: fetch an image (any supported layout), verify it, store it locally.</summary>
internal sealed class PullCommand : WasmeCommand
{
    private readonly Argument<string> _reference = new("REF") { Description = "Image reference: registry/repo[:tag] or registry/repo@sha256:..." };
    private readonly RegistryOptions _options = new();
    private readonly VerificationOptions _verification = new();

    public PullCommand(CliContext context)
        : base(context, "pull", "Pull a Wasm image from a registry into the local store, verifying every digest. Accepts the wasme, compat (OCI or Docker), wasm-to-oci and CNCF Wasm layouts.")
    {
        Arguments.Add(_reference);
        _options.AddTransferTo(this);
        _verification.AddTo(this, withVerifyFlag: true);
        Example("Pull an image into the local store", "wasme pull ghcr.io/acme/add-header:v1");
        Example("Pull from a registry on this machine (loopback is plain HTTP), printing only the digest", "wasme pull 127.0.0.1:5000/filters/add-header:v1 -q");
        Example("Pull only if signed by this key (exit 6 otherwise, nothing stored)", "wasme pull ghcr.io/acme/add-header:v1 --key cosign.pub");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        TransferWarmUp.ForPull();
        var image = ImageReference.Parse(parseResult.GetValue(_reference)!);
        var quiet = parseResult.GetValue(_options.Quiet);
        var store = _options.OpenStore(Context, parseResult);
        using var client = _options.CreateClient(Context, parseResult);
        string? verifiedLine = null;
        if (_verification.Requested(parseResult))
        {
            // Verify the digest first, then pull exactly that digest: nothing unverified reaches the store,
            // and a tag moved in between cannot slip another image in.
            var policy = await _verification.BuildPolicyAsync(Context, parseResult, cancellationToken);
            var digest = image.Digest ?? (await client.ResolveAsync(image, cancellationToken)).GetDigest();
            var verified = await VerificationOptions.VerifyOrThrowAsync(client, image, digest, policy, await _verification.ReadBundlesAsync(parseResult, cancellationToken), cancellationToken);
            // Said once the image is stored: a pull refused after the signature held (a bound, a layout) stores nothing,
            // and a "Verified" line before its error would read as if the image had been accepted.
            verifiedLine = $"Verified {VerificationOptions.Describe(image, digest)}: signed by {verified.Signer}";
            image = image.WithDigest(digest);
        }

        var pulled = await TransferDisplay.RunAsync(Context, quiet, "pulled", progress => new ImagePuller(client).PullAsync(image, store, progress, cancellationToken));
        if (quiet)
        {
            Context.Out.WriteLine(pulled.ManifestDigest.ToString(), Style.Plain);
            return ExitCodes.Success;
        }

        if (verifiedLine is not null)
        {
            Context.Out.WriteLine(verifiedLine, Style.Plain);
        }

        Context.Out.WriteLine($"Pulled {image}", Style.Plain);
        Context.Out.WriteLine($"Digest: {pulled.ManifestDigest}", Style.Plain);
        Context.Out.WriteLine($"Layout: {pulled.Layout.ToDisplayName()}", Style.Plain);
        Context.Out.WriteLine($"Module: {pulled.ModuleDigest} ({Sizes.Format(pulled.ModuleSize)})", Style.Plain);
        return ExitCodes.Success;
    }
}
