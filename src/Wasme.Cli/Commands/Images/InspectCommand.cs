using System.CommandLine;
using System.Text.Json;
using Wasme.Cli.Infrastructure;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Oci.Transfer;
using Wasme.Signing.Cosign;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme inspect REF [--remote]</c>: manifest, layout, ABI versions, root ids and module sha256.</summary>
internal sealed class InspectCommand : WasmeCommand
{
    private readonly Argument<string> _reference = new("REF") { Description = "Image reference." };
    private readonly Option<bool> _remote = new("--remote") { Description = "Inspect the image in its registry (fetched and verified in memory, not stored)." };
    private readonly RegistryOptions _options = new();
    private readonly EnumOption<OutputFormat> _output;

    public InspectCommand(CliContext context)
        : base(context, "inspect", "Show an image's manifest digest, layout, ABI versions, root ids and module sha256 (the name Envoy's cache uses).")
    {
        Arguments.Add(_reference);
        Options.Add(_remote);
        _output = AddOutputOption();
        _options.AddStoreTo(this);
        _options.AddRegistryTo(this);
        Example("Inspect an image in the local store", "wasme inspect ghcr.io/acme/add-header:v1");
        Example("Read the module sha256 of an image in its registry, without storing it", "wasme inspect ghcr.io/acme/add-header:v1 --remote -o json | jq -r .moduleDigest");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var context = Context;
        var image = ImageReference.Parse(parseResult.GetValue(_reference)!);
        ImageInspection inspection;
        if (parseResult.GetValue(_remote))
        {
            using var client = _options.CreateClient(context, parseResult);
            var (manifestBytes, module) = await new ImagePuller(client).ReadManifestAndModuleAsync(image, cancellationToken);
            inspection = Describe(image, module.ManifestDigest, module.Layout, module.ModuleDigest, module.Module.Length, module.RuntimeConfig, manifestBytes);
            // Signatures sit beside the image in the registry (cosign's .sig tag); listed as found, not verified.
            var signatures = await new CosignSignatureStore(client).ReadAsync(image, module.ManifestDigest, cancellationToken);
            inspection = inspection with { Signatures = signatures.Select(s => s.DescribeClaimedSigner()).ToList() };
        }
        else
        {
            var store = _options.OpenStore(context, parseResult);
            var stored = await store.GetAsync(image, cancellationToken);
            var manifestBytes = await store.ReadManifestAsync(stored, cancellationToken);
            inspection = Describe(stored, manifestBytes);
        }

        var format = _output.ValueOf(parseResult);
        if (format.IsData())
        {
            DataOutput.Write(context, format, inspection, ImagesJsonContext.Output.ImageInspection);
            return ExitCodes.Success;
        }

        // Plain lines, not a Spectre grid: a grid measures and wraps its cells, which for a runtime config
        // with thousands of root ids took minutes of CPU; these values are data to copy, not to wrap.
        (string Label, string Value)[] rows =
        [
            ("Reference", inspection.Reference),
            ("Digest", inspection.Digest),
            ("Layout", inspection.Layout),
            ("Type", inspection.Type),
            ("ABI versions", inspection.AbiVersions.Count == 0 ? "(none)" : string.Join(", ", inspection.AbiVersions)),
            ("Root ids", inspection.RootIds.Count == 0 ? "(none)" : string.Join(", ", inspection.RootIds)),
            ("Module sha256", inspection.ModuleDigest),
            ("Module size", Sizes.Format(inspection.ModuleSize)),
        ];
        if (inspection.Signatures is { } found)
        {
            rows = [.. rows, ("Signatures", found.Count == 0 ? "(none)" : $"{found.Count} unverified, by {string.Join("; ", found)} (check with 'wasme verify')")];
        }

        var labelWidth = rows.Max(r => r.Label.Length) + 1;
        var writer = context.Out.Profile.Out.Writer;
        foreach (var (label, value) in rows)
        {
            writer.Write(label.PadRight(labelWidth));
            writer.WriteLine(Printable(value));
        }

        writer.WriteLine();
        writer.WriteLine("Manifest:");
        writer.WriteLine(JsonSerializer.Serialize(inspection.Manifest, ImagesJsonContext.Output.JsonElement));
        return ExitCodes.Success;
    }

    /// <summary>An image's strings go to the terminal unwrapped, so its control characters (escape sequences) must not.</summary>
    internal static string Printable(string value) =>
        value.Any(char.IsControl) ? string.Concat(value.Select(c => char.IsControl(c) ? '?' : c)) : value;

    internal static ImageInspection Describe(StoredImage image, ReadOnlyMemory<byte> manifestBytes) =>
        Describe(image.Reference, image.ManifestDigest, image.Layout, image.ModuleDigest, image.ModuleSize, image.RuntimeConfig, manifestBytes);

    private static ImageInspection Describe(ImageReference reference, Digest digest, ImageLayout layout, Digest moduleDigest, long moduleSize, RuntimeConfig config, ReadOnlyMemory<byte> manifestBytes)
    {
        using var manifest = JsonDocument.Parse(manifestBytes);
        return new ImageInspection(
            reference.ToString(),
            digest.ToString(),
            layout.ToDisplayName(),
            moduleDigest.ToString(),
            moduleSize,
            config.Type,
            config.AbiVersions,
            config.RootIds,
            manifest.RootElement.Clone());
    }
}
