using Spectre.Console;
using Wasme.Build;

namespace Wasme.Cli.Commands.Authoring;

/// <summary>What a successful build prints: the reference, digests, ABI and root ids.</summary>
internal static class BuildReport
{
    public static void Write(CliContext context, FilterBuildResult result)
    {
        var image = result.Image;
        context.Out.MarkupLineInterpolated($"Stored [bold]{image.Reference.ToString()}[/]");
        context.Out.MarkupLineInterpolated($"  digest:   {image.ManifestDigest.ToString()}");
        context.Out.MarkupLineInterpolated($"  module:   {image.ModuleDigest.ToString()} ({image.ModuleSize} bytes)");
        context.Out.MarkupLineInterpolated($"  abi:      {string.Join(", ", image.AbiVersions)}");
        context.Out.MarkupLineInterpolated($"  root ids: {string.Join(", ", image.RootIds.Select(id => id.Length == 0 ? "\"\" (the SDK default)" : id))}");
        foreach (var warning in result.Filter.Validation.Warnings)
        {
            context.Error.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }
    }
}
