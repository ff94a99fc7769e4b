using Wasme.Oci.Errors;
using Wasme.Oci.References;

namespace Wasme.Oci.Formats;

/// <summary>What an image holds for a proxy: its layout, the module bytes and their sha256, and the runtime config.</summary>
/// <param name="Layout">Which layout the image uses (reported, never guessed).</param>
/// <param name="ManifestDigest">The digest the image is pinned by.</param>
/// <param name="Module">The module bytes.</param>
/// <param name="ModuleDigest">sha256 of the module bytes (for raw layouts the verified layer digest): the cache's file name.</param>
/// <param name="RuntimeConfig">ABI versions and root ids, from the config blob, the compat tar or the annotations.</param>
public sealed record ImageModule(
    ImageLayout Layout,
    Digest ManifestDigest,
    ReadOnlyMemory<byte> Module,
    Digest ModuleDigest,
    RuntimeConfig RuntimeConfig)
{
    /// <summary>
    /// Reads any supported layout of a fetched image, bounded by <paramref name="maxModuleSize"/>. The one
    /// way the operator, the cache and the CLI learn an image's module and facts, so they cannot disagree
    /// about an image (as they did when each read it with its own code).
    /// </summary>
    /// <exception cref="OciUsageException">No Wasm image, or a blob the manifest names was not fetched.</exception>
    /// <exception cref="OciIntegrityException">The module is over the bound.</exception>
    public static ImageModule Read(PackedImage image, long maxModuleSize)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxModuleSize);
        var layout = ImageReader.Identify(image.Manifest, image.ManifestDescriptor.MediaType);
        var layer = ImageReader.ModuleLayer(image.Manifest, layout);
        var content = ImageReader.ReadModule(layout, Blob(image, layer.GetDigest()), maxModuleSize);
        if (content.Module.Length > maxModuleSize)
        {
            throw new OciIntegrityException($"The image's module is {content.Module.Length} bytes, more than the limit of {maxModuleSize} bytes. Raise --max-module-size if this is expected.");
        }

        ReadOnlyMemory<byte>? configBlob = ImageReader.UsesConfigBlob(image.Manifest) ? Blob(image, image.Manifest.Config.GetDigest()) : null;
        var runtime = ImageReader.ReadRuntimeConfig(image.Manifest, configBlob, content.EmbeddedRuntimeConfig);

        // A raw layer was verified against its digest when fetched, and that digest is the module's sha256.
        var moduleDigest = ImageReader.IsRawModule(layout) ? layer.GetDigest() : Digest.Compute(content.Module.Span);
        return new ImageModule(layout, image.ManifestDigest, content.Module, moduleDigest, runtime);
    }

    private static ReadOnlyMemory<byte> Blob(PackedImage image, Digest digest) =>
        image.Blobs.TryGetValue(digest, out var bytes)
            ? bytes
            : throw new OciUsageException($"Blob {digest} named by the manifest {image.ManifestDigest} was not fetched; the image is incomplete.");
}
