using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
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
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(image);
        TransferWarmUp.ForPush();
        var wanted = format ?? (image.Layout == ImageLayout.Wasme ? WasmImageFormat.Wasme : WasmImageFormat.Compat);
        var storedFormat = image.Layout switch
        {
            ImageLayout.Wasme => WasmImageFormat.Wasme,
            ImageLayout.CompatOci => WasmImageFormat.Compat,
            _ => (WasmImageFormat?)null,
        };
        if (storedFormat != wanted && format is not null)
        {
            var module = await store.ReadModuleAsync(image, cancellationToken).ConfigureAwait(false);
            return await PushAsync(ImagePacker.Pack(module, image.RuntimeConfig, wanted), target, mountFrom, progress, cancellationToken).ConfigureAwait(false);
        }

        // As stored: layers stream from their files; the small config is read (and verified) whole.
        var manifestDescriptor = LocalImageStore.ManifestDescriptor(image);
        var manifestBytes = await store.ReadManifestAsync(image, cancellationToken).ConfigureAwait(false);
        var config = await store.ReadBlobAsync(image.Manifest.Config, cancellationToken).ConfigureAwait(false);
        var blobs = new Dictionary<Digest, BlobSource> { [image.Manifest.Config.GetDigest()] = BlobSource.FromMemory(config) };
        foreach (var layer in image.Manifest.Layers)
        {
            blobs.TryAdd(layer.GetDigest(), store.OpenBlobForUpload(layer));
        }

        return await PushAsync(image.Manifest, manifestDescriptor, manifestBytes, blobs, target, mountFrom, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pushes a packed image. <paramref name="mountFrom"/> names a repository on the same registry that has the blobs.</summary>
    public Task<PushResult> PushAsync(
        PackedImage image,
        ImageReference target,
        string? mountFrom = null,
        IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var blobs = image.Blobs.ToDictionary(b => b.Key, b => BlobSource.FromMemory(b.Value));
        return PushAsync(image.Manifest, image.ManifestDescriptor, image.ManifestBytes, blobs, target, mountFrom, progress, cancellationToken);
    }

    private async Task<PushResult> PushAsync(
        ImageManifest manifest,
        Descriptor manifestDescriptor,
        ReadOnlyMemory<byte> manifestBytes,
        Dictionary<Digest, BlobSource> blobs,
        ImageReference target,
        string? mountFrom,
        IProgress<TransferProgress>? progress,
        CancellationToken cancellationToken)
    {
        // All blobs at once, each on its own connection (the config's round trips no longer wait in line
        // before the module's upload); the manifest goes last, once every blob is in place.
        var uploads = manifest.Layers.Prepend(manifest.Config).DistinctBy(d => d.GetDigest()).Select(async descriptor =>
        {
            var digest = descriptor.GetDigest();
            var result = await BlobTransfer.RunAsync(descriptor, progress, bytesProgress =>
                client.PushBlobAsync(target, digest, blobs[digest], mountFrom, bytesProgress, cancellationToken), Outcome).ConfigureAwait(false);
            return (digest, result);
        });
        var results = (await Task.WhenAll(uploads).ConfigureAwait(false)).ToDictionary(r => r.digest, r => r.result);
        var manifestDigest = await client.PushManifestAsync(target, manifestDescriptor.MediaType, manifestBytes, cancellationToken).ConfigureAwait(false);
        return new PushResult(target, manifestDigest, ImageReader.Identify(manifest, manifestDescriptor.MediaType), results);
    }

    private static TransferState Outcome(BlobPushResult result) => result switch
    {
        BlobPushResult.Skipped => TransferState.Skipped,
        BlobPushResult.Mounted => TransferState.Mounted,
        _ => TransferState.Done,
    };
}

/// <summary>What a push did: the manifest digest, the layout pushed, and per blob whether it was uploaded, skipped or mounted.</summary>
public sealed record PushResult(ImageReference Reference, Digest ManifestDigest, ImageLayout Layout, IReadOnlyDictionary<Digest, BlobPushResult> Blobs);
