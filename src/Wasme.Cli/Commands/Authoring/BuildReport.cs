using Spectre.Console;
using Wasme.Build;
using Wasme.Cli.Commands.Images;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Store;

namespace Wasme.Cli.Commands.Authoring;

/// <summary>What a successful build prints: the reference, digests, ABI and root ids; with -o json, what inspect prints.</summary>
internal static class BuildReport
{
    public static async Task WriteAsync(CliContext context, OutputFormat format, FilterBuildResult result, LocalImageStore store, CancellationToken cancellationToken)
    {
        if (format.IsData())
        {
            WriteWarnings(context, result);
            var manifest = await store.ReadManifestAsync(result.Image, cancellationToken);
            DataOutput.Write(context, format, InspectCommand.Describe(result.Image, manifest), ImagesJsonContext.Output.ImageInspection);
            return;
        }

        var image = result.Image;
        context.Out.MarkupLineInterpolated($"Stored [bold]{image.Reference.ToString()}[/]");
        context.Out.MarkupLineInterpolated($"  digest:   {image.ManifestDigest.ToString()}");
        context.Out.MarkupLineInterpolated($"  module:   {image.ModuleDigest.ToString()} ({image.ModuleSize} bytes)");
        context.Out.MarkupLineInterpolated($"  abi:      {string.Join(", ", image.AbiVersions)}");
        context.Out.MarkupLineInterpolated($"  root ids: {string.Join(", ", image.RootIds.Select(id => id.Length == 0 ? "\"\" (the SDK default)" : InspectCommand.Printable(id)))}");
        WriteWarnings(context, result);
    }

    private static void WriteWarnings(CliContext context, FilterBuildResult result)
    {
        foreach (var warning in result.Filter.Validation.Warnings)
        {
            // A root id comes from a runtime config that may be someone else's: no escape sequences to the terminal.
            context.Error.MarkupLineInterpolated($"[yellow]warning:[/] {InspectCommand.Printable(warning)}");
        }
    }
}
