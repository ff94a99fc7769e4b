using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme push REF [--format wasme|compat]</c>: upload a stored image.</summary>
internal sealed class PushCommand : WasmeCommand
{
    private static readonly IReadOnlyList<(string Word, WasmImageFormat Value)> Formats =
    [
        ("wasme", WasmImageFormat.Wasme),
        ("compat", WasmImageFormat.Compat),
    ];

    private readonly Argument<string> _reference = new("REF") { Description = "Stored image to push, registry/repo:tag." };
    private readonly EnumOption<WasmImageFormat> _format = new(
        "--format",
        [],
        Formats,
        "Layout to push: 'wasme' (original, Istio reads it) or 'compat' (one tar+gzip layer with plugin.wasm; any registry and docker accept it). Default: as stored.");

    private readonly RegistryOptions _options = new();

    public PushCommand(CliContext context)
        : base(context, "push", "Push a locally stored image to its registry. Blobs the registry has are skipped; blobs in another repository of the same registry are mounted.")
    {
        Arguments.Add(_reference);
        Options.Add(_format);
        _options.AddTransferTo(this);
        Example("Push an image built with 'wasme build -t'", "wasme push ghcr.io/acme/add-header:v1");
        Example("Push the layout docker and every registry accept (one tar+gzip layer)", "wasme push ghcr.io/acme/add-header:v1 --format compat");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        TransferWarmUp.ForPush();
        var target = ImageReference.Parse(parseResult.GetValue(_reference)!);
        var quiet = parseResult.GetValue(_options.Quiet);
        var store = _options.OpenStore(Context, parseResult);
        var image = await store.GetAsync(target, cancellationToken);
        var wanted = _format.Find(parseResult);

        // Another tag of the same manifest in another repository of this registry: its blobs can be mounted.
        var mountFrom = (await store.FindReferencesAsync(image.ManifestDigest, cancellationToken))
            .Where(r => r.Registry == target.Registry && r.Repository != target.Repository)
            .Select(r => r.Repository)
            .FirstOrDefault();
        using var client = _options.CreateClient(Context, parseResult);
        var pushed = await TransferDisplay.RunAsync(Context, quiet, "pushed", progress => new ImagePusher(client).PushAsync(store, image, target, wanted, mountFrom, progress, cancellationToken));
        if (quiet)
        {
            Context.Out.WriteLine(pushed.ManifestDigest.ToString(), Style.Plain);
            return ExitCodes.Success;
        }

        Context.Out.WriteLine($"Pushed {target}", Style.Plain);
        Context.Out.WriteLine($"Digest: {pushed.ManifestDigest}", Style.Plain);
        Context.Out.WriteLine($"Layout: {pushed.Layout.ToDisplayName()}", Style.Plain);
        return ExitCodes.Success;
    }
}
