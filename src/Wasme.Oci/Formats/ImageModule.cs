using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
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
        return Read(image.Manifest, image.ManifestDescriptor, image.Blobs, maxModuleSize);
    }

    /// <summary><see cref="Read(PackedImage, long)"/> from a manifest and the blobs fetched so far (the config and module layer suffice).</summary>
    internal static ImageModule Read(ImageManifest manifest, Descriptor manifestDescriptor, IReadOnlyDictionary<Digest, ReadOnlyMemory<byte>> blobs, long maxModuleSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxModuleSize);
        var manifestDigest = manifestDescriptor.GetDigest();
        var layout = ImageReader.Identify(manifest, manifestDescriptor.MediaType);
        var layer = ImageReader.ModuleLayer(manifest, layout);
        var content = ImageReader.ReadModule(layout, Blob(blobs, manifestDigest, layer.GetDigest()), maxModuleSize);
        if (content.Module.Length > maxModuleSize)
        {
            throw new OciIntegrityException($"The image's module is {content.Module.Length} bytes, more than the limit of {maxModuleSize} bytes. Raise --max-module-size if this is expected.");
        }

        ReadOnlyMemory<byte>? configBlob = ImageReader.UsesConfigBlob(manifest) ? Blob(blobs, manifestDigest, manifest.Config.GetDigest()) : null;
        var runtime = ImageReader.ReadRuntimeConfig(manifest, configBlob, content.EmbeddedRuntimeConfig);

        // A raw layer was verified against its digest when fetched, and that digest is the module's sha256.
        var moduleDigest = ImageReader.IsRawModule(layout) ? layer.GetDigest() : Digest.Compute(content.Module.Span);
        return new ImageModule(layout, manifestDigest, content.Module, moduleDigest, runtime);
    }

    private static ReadOnlyMemory<byte> Blob(IReadOnlyDictionary<Digest, ReadOnlyMemory<byte>> blobs, Digest manifestDigest, Digest digest) =>
        blobs.TryGetValue(digest, out var bytes)
            ? bytes
            : throw new OciUsageException($"Blob {digest} named by the manifest {manifestDigest} was not fetched; the image is incomplete.");
}
