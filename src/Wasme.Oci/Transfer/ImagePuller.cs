using System.Runtime.ExceptionServices;
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
    /// <summary>Fetches manifest and every blob it references into memory. An index resolves to its Wasm manifest (see GetManifestAsync).</summary>
    public async Task<PackedImage> FetchAsync(ImageReference reference, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (content, manifest, layout, _) = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        CheckBesidesModule(manifest, layout, reference);
        var blobs = await FetchBlobsAsync(reference, manifest, layout, manifest.Layers.Prepend(manifest.Config), progress, cancellationToken).ConfigureAwait(false);
        return new PackedImage(content.Bytes, content.Descriptor, manifest, blobs);
    }

    /// <summary>
    /// Reads the image's module and facts with <see cref="ImageModule.Read(PackedImage, long)"/>, bounded by the client's module limit.
    /// Only the blobs that needs (the module layer, and the config of wasme's layout) are fetched: other layers are never
    /// held in memory, whatever their number and size.
    /// </summary>
    public async Task<ImageModule> ReadModuleAsync(ImageReference reference, CancellationToken cancellationToken = default) =>
        (await ReadManifestAndModuleAsync(reference, cancellationToken).ConfigureAwait(false)).Module;

    /// <summary><see cref="ReadModuleAsync"/>, with the manifest's bytes as the registry sent them.</summary>
    public async Task<(ReadOnlyMemory<byte> ManifestBytes, ImageModule Module)> ReadManifestAndModuleAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        var (content, manifest, layout, _) = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        var needed = ImageReader.UsesConfigBlob(manifest)
            ? [manifest.Config, ImageReader.ModuleLayer(manifest, layout)]
            : new[] { ImageReader.ModuleLayer(manifest, layout) };
        var blobs = await FetchBlobsAsync(reference, manifest, layout, needed, progress: null, cancellationToken).ConfigureAwait(false);
        return (content.Bytes, ImageModule.Read(manifest, content.Descriptor, blobs, client.Options.MaxModuleSize));
    }

    private async Task<Dictionary<Digest, ReadOnlyMemory<byte>>> FetchBlobsAsync(ImageReference reference, ImageManifest manifest, ImageLayout layout, IEnumerable<Descriptor> descriptors, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var blobs = new Dictionary<Digest, ReadOnlyMemory<byte>>();
        foreach (var descriptor in descriptors)
        {
            var digest = descriptor.GetDigest();
            if (!blobs.ContainsKey(digest))
            {
                blobs[digest] = await BlobTransfer.RunAsync(descriptor, progress, bytesProgress =>
                    client.GetBlobAsync(reference, descriptor, BlobLimit(descriptor, manifest, layout), bytesProgress, cancellationToken), Done).ConfigureAwait(false);
            }
        }

        return blobs;
    }

    /// <summary>
    /// Fetches the image and stores it under the reference (tag kept; digest refs stay pinned). Blobs
    /// stream straight into temp files in the store, so a module is never held in memory whole.
    /// </summary>
    public async Task<StoredImage> PullAsync(ImageReference reference, LocalImageStore store, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (content, manifest, layout, indexDigest) = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        CheckBesidesModule(manifest, layout, reference);
        using var staged = store.StageBlobs();
        // All blobs at once, each on its own connection: the small config no longer waits in line
        // before the module. The largest goes first, on the connection the manifest came on; the
        // others wait for new connections (a connect, a TLS handshake) off the critical path. The
        // first failure cancels the others.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var downloads = manifest.Layers.Prepend(manifest.Config).DistinctBy(d => d.GetDigest()).OrderByDescending(d => d.Size).Select(async descriptor =>
        {
            try
            {
                await BlobTransfer.RunAsync(descriptor, progress, async bytesProgress =>
                {
                    await staged.WriteAsync(descriptor.GetDigest(), (file, ct) =>
                        client.CopyBlobAsync(reference, descriptor, BlobLimit(descriptor, manifest, layout), file, bytesProgress, ct), failed.Token).ConfigureAwait(false);
                    return true;
                }, Done).ConfigureAwait(false);
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }).ToList();
        // The manifest is known already: its file is written (and flushed) while the blobs arrive.
        var manifestDigest = content.Descriptor.GetDigest();
        downloads.Add(staged.WriteAsync(manifestDigest, (file, ct) => file.WriteAsync(content.Bytes, ct).AsTask(), failed.Token));
        try
        {
            await Task.WhenAll(downloads).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested
            && downloads.Select(d => d.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException) is { } cause)
        {
            // Cancelled because another blob failed: report that failure, not the cancellation.
            ExceptionDispatchInfo.Throw(cause);
        }

        // Everything is verified and on disk: finish the local write even if cancelled now, so an
        // interrupted pull leaves either the old store or the complete new image, never stray blobs.
        return await store.AddStagedAsync(reference, content.Bytes, content.Descriptor, manifest, staged, indexDigest, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<(ManifestContent Content, ImageManifest Manifest, ImageLayout Layout, Digest? IndexDigest)> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        TransferWarmUp.ForPull();
        var content = await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        if (!content.IsIndex)
        {
            var manifest = LocalImageStore.ParseManifest(content.Bytes.Span, reference.ToString());
            return (content, manifest, ImageReader.Identify(manifest, content.Descriptor.MediaType), null);
        }

        // A multi-platform index, or one with attestations: the entry marked as Wasm if any, else the
        // first entry that turns out to be a Wasm image, in the index's order.
        OciException? firstFailure = null;
        var candidates = Candidates(content, reference);
        foreach (var child in candidates.Take(RegistryLimits.MaxIndexEntriesTried))
        {
            var childContent = await client.GetManifestAsync(reference.WithDigest(child.GetDigest()), cancellationToken).ConfigureAwait(false);
            if (childContent.IsIndex)
            {
                continue;
            }

            try
            {
                var manifest = LocalImageStore.ParseManifest(childContent.Bytes.Span, $"{reference} ({child.Digest})");
                return (childContent, manifest, ImageReader.Identify(manifest, childContent.Descriptor.MediaType), content.Descriptor.GetDigest());
            }
            catch (OciException ex) when (ex.Kind == OciErrorKind.Usage)
            {
                firstFailure ??= ex;
            }
        }

        var tried = candidates.Count > RegistryLimits.MaxIndexEntriesTried
            ? $" ({candidates.Count} entries; the first {RegistryLimits.MaxIndexEntriesTried} were tried, entries marked as Wasm first; pull the Wasm image by its own digest)"
            : string.Empty;
        throw firstFailure is null
            ? new OciUsageException($"The index of {reference} lists no image manifest wasme can read (nested indexes are not followed){tried}.")
            : new OciUsageException($"The index of {reference} lists no Wasm image{tried}: {firstFailure.Message}", firstFailure);
    }

    /// <summary>
    /// Every blob is bounded and so is their number, but a whole image is too: what it holds besides the module (a
    /// config, a compat layer's siblings) may total the default module limit, refused before anything is fetched.
    /// </summary>
    private static void CheckBesidesModule(ImageManifest manifest, ImageLayout layout, ImageReference reference)
    {
        var module = ImageReader.ModuleLayer(manifest, layout).GetDigest();
        long besides = 0;
        foreach (var descriptor in manifest.Layers.Prepend(manifest.Config).DistinctBy(d => d.GetDigest()))
        {
            if (descriptor.GetDigest() != module)
            {
                besides += Math.Max(descriptor.Size, 0);
                if (besides > RegistryLimits.DefaultMaxModuleSize)
                {
                    throw new OciIntegrityException($"The image manifest of {reference} lists more than {RegistryLimits.DefaultMaxModuleSize} bytes of blobs besides the module (a Wasm image holds a few KiB besides it); refused before fetching any. Nothing stored.");
                }
            }
        }
    }

    /// <summary>The module layer may be as large as the module limit; any other blob no larger than the default limit.</summary>
    private long BlobLimit(Descriptor descriptor, ImageManifest manifest, ImageLayout layout) =>
        descriptor == ImageReader.ModuleLayer(manifest, layout)
            ? client.Options.MaxModuleSize
            : Math.Min(client.Options.MaxModuleSize, RegistryLimits.DefaultMaxModuleSize);

    private static TransferState Done<T>(T result) => TransferState.Done;

    private static List<Descriptor> Candidates(ManifestContent content, ImageReference reference)
    {
        if (!OciDocuments.TryParseIndex(content.Bytes.Span, out var index, out var problem))
        {
            throw new OciIntegrityException($"The index of {reference} cannot be used: {problem}. Nothing stored.");
        }

        // Entries marked Wasm first, then unmarked ones (and 'unknown', as attestations are), then the rest.
        return index.Manifests
            .Where(m => m.MediaType is MediaTypes.OciManifest or MediaTypes.DockerManifest)
            .OrderBy(m => IsWasmPlatform(m) ? 0 : m.Platform?.Os is null or "unknown" ? 1 : 2)
            .ToList();
    }

    private static bool IsWasmPlatform(Descriptor descriptor) =>
        descriptor.Platform?.Os is "wasip1" or "wasi" || descriptor.Platform?.Architecture == "wasm";
}
