using System.Text.Json;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Store;

namespace Wasme.Oci.Transfer;

/// <summary>
/// Fetches an image from a registry, verified and bounded, into memory; then (for pull) into the
/// local store. Nothing reaches the store unless every manifest and blob matched its digest.
/// </summary>
public sealed class ImagePuller(RegistryClient client)
{
    /// <summary>Fetches manifest and every blob it references. An index resolves to its first Wasm (or only) manifest.</summary>
    public async Task<PackedImage> FetchAsync(ImageReference reference, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var content = await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        if (content.IsIndex)
        {
            var child = PickFromIndex(content, reference);
            content = await client.GetManifestAsync(reference.WithDigest(child.GetDigest()), cancellationToken).ConfigureAwait(false);
            if (content.IsIndex)
            {
                throw new OciUsageException($"{reference} is an index of indexes; wasme reads one level only.");
            }
        }

        var manifest = LocalImageStore.ParseManifest(content.Bytes.Span);
        var layout = ImageReader.Identify(manifest, content.Descriptor.MediaType);
        var blobs = new Dictionary<Digest, ReadOnlyMemory<byte>>();
        foreach (var descriptor in manifest.Layers.Prepend(manifest.Config))
        {
            var digest = descriptor.GetDigest();
            if (blobs.ContainsKey(digest))
            {
                continue;
            }

            var isModule = descriptor == ImageReader.ModuleLayer(manifest, layout);
            var limit = isModule ? client.Options.MaxModuleSize : Math.Min(client.Options.MaxModuleSize, RegistryLimits.DefaultMaxModuleSize);
            progress?.Report(new TransferProgress(digest, descriptor.MediaType, 0, descriptor.Size, TransferState.Started));
            var bytesProgress = progress is null ? null : new ProgressAdapter<long>(n => progress.Report(new TransferProgress(digest, descriptor.MediaType, n, descriptor.Size, TransferState.InProgress)));
            blobs[digest] = await client.GetBlobAsync(reference, descriptor, limit, bytesProgress, cancellationToken).ConfigureAwait(false);
            progress?.Report(new TransferProgress(digest, descriptor.MediaType, descriptor.Size, descriptor.Size, TransferState.Done));
        }

        return new PackedImage(content.Bytes, content.Descriptor, manifest, blobs);
    }

    /// <summary>Fetches the image and stores it under the reference (tag kept; digest refs stay pinned).</summary>
    public async Task<StoredImage> PullAsync(ImageReference reference, LocalImageStore store, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var image = await FetchAsync(reference, progress, cancellationToken).ConfigureAwait(false);
        // Everything is verified and in memory: finish the local write even if cancelled now, so an
        // interrupted pull leaves either the old store or the complete new image, never stray blobs.
        return await store.AddPackedAsync(reference, image, CancellationToken.None).ConfigureAwait(false);
    }

    private static Descriptor PickFromIndex(ManifestContent content, ImageReference reference)
    {
        ImageIndex index;
        try
        {
            index = JsonSerializer.Deserialize(content.Bytes.Span, OciJsonContext.Default.ImageIndex)
                ?? throw new OciUsageException($"The index of {reference} is empty.");
        }
        catch (JsonException ex)
        {
            throw new OciUsageException($"The index of {reference} is not valid: {ex.Message}", ex);
        }

        var manifests = index.Manifests.Where(m => m.MediaType is MediaTypes.OciManifest or MediaTypes.DockerManifest).ToList();
        return manifests.FirstOrDefault(m => m.Platform?.Os is "wasip1" or "wasi" || m.Platform?.Architecture == "wasm")
            ?? manifests.FirstOrDefault()
            ?? throw new OciUsageException($"The index of {reference} lists no image manifests.");
    }
}
