using System.CommandLine;
using Spectre.Console;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme push REF [--format wasme|compat]</c>: upload a stored image.</summary>
internal sealed class PushCommand : Command
{
    public PushCommand(CliContext context)
        : base("push", "Push a locally stored image to its registry. Blobs the registry has are skipped; blobs in another repository of the same registry are mounted.")
    {
        var reference = new Argument<string>("REF") { Description = "Stored image to push, registry/repo:tag." };
        var format = new Option<string?>("--format")
        {
            Description = "Layout to push: 'wasme' (original, Istio reads it) or 'compat' (one tar+gzip layer with plugin.wasm; any registry and docker accept it). Default: as stored.",
        };
        format.AcceptOnlyFromAmong("wasme", "compat");
        var options = new RegistryOptions();
        Arguments.Add(reference);
        Options.Add(format);
        options.AddTransferTo(this);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var target = ImageReference.Parse(parseResult.GetValue(reference)!);
            var quiet = parseResult.GetValue(options.Quiet);
            var store = options.OpenStore(context, parseResult);
            var image = await store.GetAsync(target, cancellationToken);
            WasmImageFormat? wanted = parseResult.GetValue(format) switch
            {
                "wasme" => WasmImageFormat.Wasme,
                "compat" => WasmImageFormat.Compat,
                _ => null,
            };

            // Another tag of the same manifest in another repository of this registry: its blobs can be mounted.
            var mountFrom = (await store.ListAsync(cancellationToken: cancellationToken))
                .Where(i => i.ManifestDigest == image.ManifestDigest && i.Reference.Registry == target.Registry && i.Reference.Repository != target.Repository)
                .Select(i => i.Reference.Repository)
                .FirstOrDefault();
            using var client = options.CreateClient(context, parseResult);
            var pushed = await TransferDisplay.RunAsync(context, quiet, "pushed", progress => new ImagePusher(client).PushAsync(store, image, target, wanted, mountFrom, progress, cancellationToken));
            if (quiet)
            {
                context.Out.WriteLine(pushed.ManifestDigest.ToString(), Style.Plain);
                return ExitCodes.Success;
            }

            context.Out.WriteLine($"Pushed {target}", Style.Plain);
            context.Out.WriteLine($"Digest: {pushed.ManifestDigest}", Style.Plain);
            context.Out.WriteLine($"Layout: {pushed.Layout.ToDisplayName()}", Style.Plain);
            return ExitCodes.Success;
        }));
    }
}
