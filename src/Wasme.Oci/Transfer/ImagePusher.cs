using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Store;

namespace Wasme.Oci.Transfer;

/// <summary>Pushes an image: blobs first (skipping or mounting what the registry has), the manifest last.</summary>
public sealed class ImagePusher(RegistryClient client)
{
    /// <summary>
    /// Pushes a stored image to <paramref name="target"/>. When <paramref name="format"/> differs from the
    /// stored layout the image is repacked from its module and runtime config (the manifest digest changes).
    /// </summary>
    public async Task<PushResult> PushAsync(
        LocalImageStore store,
        StoredImage image,
        ImageReference target,
        WasmImageFormat? format = null,
        string? mountFrom = null,
        IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        PackedImage packed;
        var wanted = format ?? (image.Layout == ImageLayout.Wasme ? WasmImageFormat.Wasme : WasmImageFormat.Compat);
        var storedFormat = image.Layout switch
        {
            ImageLayout.Wasme => WasmImageFormat.Wasme,
            ImageLayout.CompatOci => WasmImageFormat.Compat,
            _ => (WasmImageFormat?)null,
        };
        if (storedFormat == wanted || format is null)
        {
            packed = await store.ReadPackedForPushAsync(image, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var module = await store.ReadModuleAsync(image, cancellationToken).ConfigureAwait(false);
            packed = ImagePacker.Pack(module, image.RuntimeConfig, wanted);
        }

        return await PushAsync(packed, target, mountFrom, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pushes a packed image. <paramref name="mountFrom"/> names a repository on the same registry that has the blobs.</summary>
    public async Task<PushResult> PushAsync(
        PackedImage image,
        ImageReference target,
        string? mountFrom = null,
        IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var results = new Dictionary<Digest, BlobPushResult>();
        foreach (var descriptor in image.Manifest.Layers.Prepend(image.Manifest.Config))
        {
            var digest = descriptor.GetDigest();
            if (results.ContainsKey(digest))
            {
                continue;
            }

            progress?.Report(new TransferProgress(digest, descriptor.MediaType, 0, descriptor.Size, TransferState.Started));
            var bytesProgress = progress is null ? null : new ProgressAdapter<long>(n => progress.Report(new TransferProgress(digest, descriptor.MediaType, n, descriptor.Size, TransferState.InProgress)));
            var result = await client.PushBlobAsync(target, digest, image.Blobs[digest], mountFrom, bytesProgress, cancellationToken).ConfigureAwait(false);
            results[digest] = result;
            var state = result switch
            {
                BlobPushResult.Skipped => TransferState.Skipped,
                BlobPushResult.Mounted => TransferState.Mounted,
                _ => TransferState.Done,
            };
            progress?.Report(new TransferProgress(digest, descriptor.MediaType, descriptor.Size, descriptor.Size, state));
        }

        var manifestDigest = await client.PushManifestAsync(target, image.ManifestDescriptor.MediaType, image.ManifestBytes, cancellationToken).ConfigureAwait(false);
        return new PushResult(target, manifestDigest, ImageReader.Identify(image.Manifest, image.ManifestDescriptor.MediaType), results);
    }
}

/// <summary>What a push did: the manifest digest, the layout pushed, and per blob whether it was uploaded, skipped or mounted.</summary>
public sealed record PushResult(ImageReference Reference, Digest ManifestDigest, ImageLayout Layout, IReadOnlyDictionary<Digest, BlobPushResult> Blobs);
