using System.CommandLine;
using Spectre.Console;
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

    public PullCommand(CliContext context)
        : base(context, "pull", "Pull a Wasm image from a registry into the local store, verifying every digest. Accepts the wasme, compat (OCI or Docker), wasm-to-oci and CNCF Wasm layouts.")
    {
        Arguments.Add(_reference);
        _options.AddTransferTo(this);
        Example("Pull an image into the local store", "wasme pull ghcr.io/acme/add-header:v1");
        Example("Pull from a registry on this machine (loopback is plain HTTP), printing only the digest", "wasme pull 127.0.0.1:5000/filters/add-header:v1 -q");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var image = ImageReference.Parse(parseResult.GetValue(_reference)!);
        var quiet = parseResult.GetValue(_options.Quiet);
        var store = _options.OpenStore(Context, parseResult);
        using var client = _options.CreateClient(Context, parseResult);
        var pulled = await TransferDisplay.RunAsync(Context, quiet, "pulled", progress => new ImagePuller(client).PullAsync(image, store, progress, cancellationToken));
        if (quiet)
        {
            Context.Out.WriteLine(pulled.ManifestDigest.ToString(), Style.Plain);
            return ExitCodes.Success;
        }

        Context.Out.WriteLine($"Pulled {image}", Style.Plain);
        Context.Out.WriteLine($"Digest: {pulled.ManifestDigest}", Style.Plain);
        Context.Out.WriteLine($"Layout: {pulled.Layout.ToDisplayName()}", Style.Plain);
        Context.Out.WriteLine($"Module: {pulled.ModuleDigest} ({Sizes.Format(pulled.ModuleSize)})", Style.Plain);
        return ExitCodes.Success;
    }
}
