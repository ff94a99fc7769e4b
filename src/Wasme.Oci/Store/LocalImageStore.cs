using System.Globalization;
using System.Text.Json;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;

namespace Wasme.Oci.Store;

/// <summary>
/// The local image store: an OCI image layout directory (<c>oci-layout</c>, <c>index.json</c>,
/// <c>blobs/sha256/</c>) that skopeo (<c>oci:DIR:REF</c>), umoci and oras read too. Each tag is an
/// <c>index.json</c> entry whose <c>org.opencontainers.image.ref.name</c> is the full reference.
/// Every write is temp+rename (index.json and locally made blobs fsynced first; see <see cref="StageBlobs"/>
/// for pulled blobs) and blobs are written before the index points at them, so an interrupted add
/// leaves the store as it was. Concurrent wasme processes share one store safely: blobs
/// are renamed into place, the index rewritten and unreferenced blobs collected all under one exclusive
/// lock (<see cref="StoreLock"/>), and readers hold it shared while they read the index and its blobs.
/// </summary>
public sealed class LocalImageStore
{
    public const string EnvironmentVariable = "WASME_STORE";
    private const long MaxIndexSize = 64L * 1024 * 1024;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxModuleSize;

    public LocalImageStore(string root, TimeProvider? timeProvider = null, long maxModuleSize = RegistryLimits.DefaultMaxModuleSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _maxModuleSize = maxModuleSize;
    }

    public string Root { get; }

    private string IndexPath => Path.Combine(Root, "index.json");

    private string LockPath => Path.Combine(Root, ".wasme.lock");

    /// <summary>
    /// Written by <c>rmi</c> before its index write and removed once its collection has run: while it is there (an rmi
    /// killed in between, or a collection that stopped at a manifest it could not read) every write collects.
    /// </summary>
    private string CollectionPendingPath => Path.Combine(Root, ".wasme-collect");

    private string BlobDirectory => Path.Combine(Root, "blobs", "sha256");

    /// <summary>The store path: an explicit <c>--store</c>, else <c>WASME_STORE</c>, else <c>~/.wasme/store</c>.</summary>
    public static string ResolveRoot(string? explicitPath, Func<string, string?> getEnvironmentVariable)
    {
        if (explicitPath is not null)
        {
            // An empty --store is an unset shell variable: falling back to the default store would list, tag or remove
            // images in a store the user did not name.
            return string.IsNullOrWhiteSpace(explicitPath)
                ? throw new OciUsageException($"--store is empty; give the store directory, or leave --store out to use ${EnvironmentVariable} or ~/.wasme/store")
                : Path.GetFullPath(explicitPath);
        }

        var fromEnvironment = getEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        var home = getEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".wasme", "store");
    }

    /// <summary>Packs a module and its runtime config into an image and stores it under <paramref name="reference"/>.</summary>
    public Task<StoredImage> AddAsync(
        ImageReference reference,
        ReadOnlyMemory<byte> module,
        RuntimeConfig runtimeConfig,
        WasmImageFormat format = WasmImageFormat.Wasme,
        CancellationToken cancellationToken = default)
    {
        var packed = ImagePacker.Pack(module, runtimeConfig, format);
        var layout = format == WasmImageFormat.Wasme ? ImageLayout.Wasme : ImageLayout.CompatOci;
        return AddPackedAsync(reference, packed, new ModuleFacts(layout, Digest.Compute(module.Span), module.Length, runtimeConfig), cancellationToken);
    }

    /// <summary>
    /// Stores a complete image whose blobs and manifest are already verified against their digests
    /// (built by <see cref="ImagePacker"/> or fetched by the registry client). Reads the module to learn its facts.
    /// </summary>
    public Task<StoredImage> AddPackedAsync(ImageReference reference, PackedImage image, CancellationToken cancellationToken = default)
    {
        var facts = ReadFacts(image.Manifest, image.ManifestDescriptor.MediaType, (d, head) =>
        {
            var blob = image.Blobs.TryGetValue(d.GetDigest(), out var b) ? b : throw MissingBlob(d);
            return head is { } length && length < blob.Length ? blob[..length] : blob;
        });
        return AddPackedAsync(reference, image, facts, cancellationToken);
    }

    /// <summary>
    /// Where a pull streams its blobs: temp files in the store, committed by <see cref="AddStagedAsync"/>.
    /// They are not flushed to disk one by one (index.json still is, by the commit). A process that is
    /// killed loses nothing the kernel already holds; only a power loss in the seconds after a pull can
    /// leave such a blob short or empty. Every read checks a blob's size, manifest, config and module
    /// reads check its digest (and a push's registry the layer's), so that shows as a corrupt image
    /// (exit 6) that pulling again repairs. A flush per blob would cost every pull a
    /// disk round trip (tens of milliseconds for a 32 MiB module) for content the registry still has.
    /// </summary>
    public StagedBlobs StageBlobs() => new(Root, BlobDirectory, flushToDisk: false);

    /// <summary>
    /// Stores an image whose manifest bytes are verified and whose blobs were each streamed into
    /// <paramref name="blobs"/> and verified against their digests. The module is read only as far as
    /// its facts need (its header, for a raw module layer). <paramref name="indexDigest"/> is the index the
    /// manifest was chosen from, when it was: a reference pinned to that index finds the image too.
    /// </summary>
    public async Task<StoredImage> AddStagedAsync(ImageReference reference, ReadOnlyMemory<byte> manifestBytes, Descriptor manifestDescriptor, ImageManifest manifest, StagedBlobs blobs, Digest? indexDigest = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        var facts = ReadFacts(manifest, manifestDescriptor.MediaType, (d, head) => blobs.Contains(d.GetDigest()) ? blobs.Read(d.GetDigest(), head) : throw MissingBlob(d));
        CheckPinned(reference, manifestDescriptor.GetDigest(), indexDigest);
        if (!blobs.Contains(manifestDescriptor.GetDigest()))
        {
            await blobs.WriteAsync(manifestDescriptor.GetDigest(), (file, ct) => file.WriteAsync(manifestBytes, ct).AsTask(), cancellationToken).ConfigureAwait(false);
        }

        return await AddEntryAsync(reference, manifestDescriptor, manifest, facts, blobs, cancellationToken, indexDigest).ConfigureAwait(false);
    }

    private async Task<StoredImage> AddPackedAsync(ImageReference reference, PackedImage image, ModuleFacts facts, CancellationToken cancellationToken)
    {
        CheckPinned(reference, image.ManifestDigest);
        // Staged like a pull, so the blobs appear only under the store lock, together with the index entry;
        // flushed to disk, as no registry holds a copy of what was just built.
        using var staged = new StagedBlobs(Root, BlobDirectory, flushToDisk: true);
        foreach (var (digest, content) in image.Blobs.Append(new(image.ManifestDigest, image.ManifestBytes)).DistinctBy(b => b.Key))
        {
            await staged.WriteAsync(digest, (file, ct) => file.WriteAsync(content, ct).AsTask(), cancellationToken).ConfigureAwait(false);
        }

        return await AddEntryAsync(reference, image.ManifestDescriptor, image.Manifest, facts, staged, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckPinned(ImageReference reference, Digest manifestDigest, Digest? indexDigest = null)
    {
        if (reference.Digest is { } pinned && pinned != manifestDigest && pinned != indexDigest)
        {
            throw new OciIntegrityException($"Image manifest digest {manifestDigest} does not match the reference's {pinned}; nothing stored.");
        }
    }

    /// <summary>Makes a stored image visible under the reference: the one write that publishes it.</summary>
    private async Task<StoredImage> AddEntryAsync(ImageReference reference, Descriptor manifestDescriptor, ImageManifest manifest, ModuleFacts facts, StagedBlobs blobs, CancellationToken cancellationToken, Digest? indexDigest = null)
    {
        var updated = _timeProvider.GetUtcNow();
        var annotations = EntryAnnotations(RefName(reference), facts, updated);
        if (indexDigest is not null)
        {
            annotations[Annotations.StoreIndexDigest] = indexDigest.ToString();
        }

        var entry = manifestDescriptor with
        {
            MediaType = EntryMediaType(manifestDescriptor.MediaType),
            Annotations = annotations,
        };
        // The blobs are renamed into place under the same lock as the index write: a concurrent rmi's
        // garbage collection (also under it) sees either neither or both, never blobs without their entry.
        await UpdateIndexAsync(
            manifests => [.. manifests.Where(m => RefNameOf(m) != RefName(reference)), entry],
            cancellationToken,
            beforeWrite: () => blobs.Commit(BlobPath)).ConfigureAwait(false);
        return ToStoredImage(reference, manifestDescriptor, manifest, facts, updated);
    }

    /// <summary>Finds a stored image by tag or digest; null when absent.</summary>
    public async Task<StoredImage?> FindAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(IndexPath))
        {
            StoreAccess.ThrowIfFile(Root);
            return null;
        }

        await using var readLock = await StoreLock.AcquireSharedAsync(LockPath, _timeProvider, cancellationToken).ConfigureAwait(false);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var entry = FindEntry(index, reference);
        if (entry is null)
        {
            return null;
        }

        return await LoadAsync(reference, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="FindAsync"/>, but a missing image is an <see cref="OciNotFoundException"/> that says what to do.</summary>
    public async Task<StoredImage> GetAsync(ImageReference reference, CancellationToken cancellationToken = default) =>
        await FindAsync(reference, cancellationToken).ConfigureAwait(false)
        ?? throw NotInStore(reference);

    private OciNotFoundException NotInStore(ImageReference reference) =>
        new($"Image '{reference}' is not in the local store ({Root}). Run 'wasme list' to see stored images, or 'wasme pull {reference}'.");

    /// <summary>
    /// Every tagged image. An entry wasme cannot read (another tool's image, a damaged manifest) is left
    /// out and reported to <paramref name="unreadable"/>, so one bad entry does not hide the others.
    /// </summary>
    public async Task<IReadOnlyList<StoredImage>> ListAsync(Action<string, OciException>? unreadable = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(IndexPath))
        {
            StoreAccess.ThrowIfFile(Root);
            return [];
        }

        await using var readLock = await StoreLock.AcquireSharedAsync(LockPath, _timeProvider, cancellationToken).ConfigureAwait(false);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var images = new List<StoredImage>();
        foreach (var entry in index.Manifests)
        {
            if (RefNameOf(entry) is { } name && ImageReference.TryParse(name, out var reference))
            {
                try
                {
                    images.Add(await LoadAsync(reference, entry, cancellationToken).ConfigureAwait(false));
                }
                catch (OciException ex)
                {
                    unreadable?.Invoke(name, ex);
                }
            }
        }

        return [.. images.OrderBy(i => i.Reference.Name, StringComparer.Ordinal).ThenByDescending(i => i.Updated)];
    }

    /// <summary>
    /// The references tagged with manifest <paramref name="manifestDigest"/>, ordered by name. Reads the
    /// index alone, no manifest or blob: cheap enough to ask on every push, however large the store.
    /// </summary>
    public async Task<IReadOnlyList<ImageReference>> FindReferencesAsync(Digest manifestDigest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifestDigest);
        if (!File.Exists(IndexPath))
        {
            StoreAccess.ThrowIfFile(Root);
            return [];
        }

        await using var readLock = await StoreLock.AcquireSharedAsync(LockPath, _timeProvider, cancellationToken).ConfigureAwait(false);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var digest = manifestDigest.ToString();
        return [.. index.Manifests
            .Where(m => m.Digest == digest)
            .Select(m => RefNameOf(m) is { } name && ImageReference.TryParse(name, out var reference) ? reference : null)
            .OfType<ImageReference>()
            .OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>Points <paramref name="target"/> at the same manifest as <paramref name="source"/> (no copy).</summary>
    public async Task<StoredImage> TagAsync(ImageReference source, ImageReference target, CancellationToken cancellationToken = default)
    {
        if (target.Digest is not null)
        {
            throw new OciUsageException($"Cannot tag with a digest ('{target}'): give a tag such as '{target.Name}:v1'.");
        }

        var image = await GetAsync(source, cancellationToken).ConfigureAwait(false);
        var facts = new ModuleFacts(image.Layout, image.ModuleDigest, image.ModuleSize, image.RuntimeConfig);
        var updated = _timeProvider.GetUtcNow();
        var entry = new Descriptor
        {
            MediaType = EntryMediaType(image.Manifest.MediaType ?? MediaTypes.OciManifest),
            Digest = image.ManifestDigest.ToString(),
            Size = image.ManifestSize,
            Annotations = EntryAnnotations(RefName(target), facts, updated),
        };
        await UpdateIndexAsync(
            manifests =>
            {
                // The source was read before the lock; if a concurrent rmi removed it since, its blobs may be
                // collected already, and a tag pointing at them would break the store.
                if (!manifests.Any(m => m.Digest == entry.Digest && RefNameOf(m) is not null))
                {
                    throw new OciNotFoundException($"Image '{source}' was removed from the local store while it was being tagged; nothing tagged. Pull it again and retry.");
                }

                return [.. manifests.Where(m => RefNameOf(m) != RefName(target)), entry];
            },
            cancellationToken).ConfigureAwait(false);
        return image with { Reference = target, Updated = updated };
    }

    /// <summary>
    /// Removes the tag (or every tag of a digest) and deletes blobs nothing else references; returns the
    /// removed manifest digest. Reads only the index, so an entry wasme cannot interpret (another tool's)
    /// can still be removed.
    /// </summary>
    public async Task<Digest> RemoveAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(IndexPath))
        {
            StoreAccess.ThrowIfFile(Root);
            throw NotInStore(reference);
        }

        Digest? removed = null;
        await UpdateIndexAsync(
            manifests =>
            {
                var matching = manifests.Where(m => Matches(m, reference)).ToList();
                removed = matching.Count > 0 ? matching[^1].GetDigest() : throw NotInStore(reference);
                return [.. manifests.Where(m => !Matches(m, reference))];
            },
            cancellationToken,
            beforeWrite: () => File.WriteAllBytes(CollectionPendingPath, [])).ConfigureAwait(false);
        return removed!;
    }

    /// <summary>The module bytes, verified against the digest recorded when the image was stored.</summary>
    public async Task<byte[]> ReadModuleAsync(StoredImage image, CancellationToken cancellationToken = default)
    {
        var layer = ImageReader.ModuleLayer(image.Manifest, image.Layout);
        var bytes = await ReadBlobAsync(layer, cancellationToken).ConfigureAwait(false);
        var module = ImageReader.ReadModule(image.Layout, bytes, _maxModuleSize).Module;
        if (Digest.Compute(module.Span) != image.ModuleDigest)
        {
            throw new OciIntegrityException($"The stored module of '{image.Reference}' does not match its digest {image.ModuleDigest}; the store is corrupt. Remove it with 'wasme rmi {image.Reference}' and pull again.");
        }

        return module.ToArray();
    }

    /// <summary>The image's manifest bytes exactly as stored, verified against the manifest digest.</summary>
    public Task<byte[]> ReadManifestAsync(StoredImage image, CancellationToken cancellationToken = default) =>
        ReadBlobAsync(ManifestDescriptor(image), cancellationToken);

    /// <summary>The descriptor that points at the image's manifest.</summary>
    public static Descriptor ManifestDescriptor(StoredImage image) => new()
    {
        MediaType = image.Manifest.MediaType ?? MediaTypes.OciManifest,
        Digest = image.ManifestDigest.ToString(),
        Size = image.ManifestSize,
    };

    /// <summary>
    /// A stored blob to upload, streamed from its file. Its size is checked here and its digest is not:
    /// the registry verifies every upload against the digest it is pushed under and refuses a mismatch,
    /// so hashing a 32 MiB module here first would only double the work of a push.
    /// </summary>
    public BlobSource OpenBlobForUpload(Descriptor descriptor)
    {
        var digest = descriptor.GetDigest();
        var file = new FileInfo(BlobPath(digest));
        if (!file.Exists)
        {
            throw new OciNotFoundException($"Blob {digest} is missing from the store ({Root}). Pull the image again.");
        }

        if (file.Length != descriptor.Size)
        {
            throw new OciIntegrityException($"Stored blob {digest} is {file.Length} bytes but should be {descriptor.Size}; the store is corrupt. Remove the image and pull it again.");
        }

        return BlobSource.FromFile(file.FullName, file.Length);
    }

    /// <summary>Path of a blob file (for serving it without copying). The digest is validated, so the path is safe.</summary>
    public string BlobPath(Digest digest) => Path.Combine(Root, "blobs", "sha256", digest.Hex);

    /// <summary>Reads a blob, bounded by the descriptor's size and verified against its digest.</summary>
    public Task<byte[]> ReadBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default) =>
        ReadBlobAsync(descriptor, verify: true, cancellationToken);

    private async Task<byte[]> ReadBlobAsync(Descriptor descriptor, bool verify, CancellationToken cancellationToken)
    {
        var digest = descriptor.GetDigest();
        var path = BlobPath(digest);
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length != descriptor.Size)
            {
                throw new OciIntegrityException($"Stored blob {digest} is {length} bytes but should be {descriptor.Size}; the store is corrupt. Remove the image and pull it again.");
            }

            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException ex)
        {
            throw new OciNotFoundException($"Blob {digest} is missing from the store ({Root}). Pull the image again.", ex);
        }

        if (verify && Digest.Compute(bytes) != digest)
        {
            throw new OciIntegrityException($"Stored blob {digest} does not match its digest; the store is corrupt. Remove the image and pull it again.");
        }

        return bytes;
    }

    private async Task<StoredImage> LoadAsync(ImageReference reference, Descriptor entry, CancellationToken cancellationToken)
    {
        var manifestBytes = await ReadBlobAsync(entry, cancellationToken).ConfigureAwait(false);
        var manifest = OciDocuments.TryParseManifest(manifestBytes, out var storedManifest, out var problem)
            ? storedManifest
            : throw new OciIntegrityException($"The stored manifest {entry.Digest} of '{reference}' cannot be used: {problem}. Remove it with 'wasme rmi {reference}' and pull it again.");
        var annotations = entry.Annotations;
        ModuleFacts facts;
        if (annotations is not null
            && ImageLayoutNames.TryParse(annotations.GetValueOrDefault(Annotations.StoreLayout), out var layout)
            && Digest.TryParse(annotations.GetValueOrDefault(Annotations.StoreModuleDigest), out var moduleDigest)
            && long.TryParse(annotations.GetValueOrDefault(Annotations.StoreModuleSize), NumberStyles.None, CultureInfo.InvariantCulture, out var moduleSize))
        {
            var configBlob = ImageReader.UsesConfigBlob(manifest)
                ? await ReadBlobAsync(manifest.Config, cancellationToken).ConfigureAwait(false)
                : null;
            ReadOnlyMemory<byte>? embedded = null;
            if (configBlob is null && !ImageReader.IsRawModule(layout))
            {
                var layer = await ReadBlobAsync(ImageReader.ModuleLayer(manifest, layout), cancellationToken).ConfigureAwait(false);
                embedded = ImageReader.ReadModule(layout, layer, _maxModuleSize).EmbeddedRuntimeConfig;
            }

            facts = new ModuleFacts(layout, moduleDigest, moduleSize, ImageReader.ReadRuntimeConfig(manifest, configBlob, embedded));
        }
        else
        {
            // Written by another tool (skopeo, umoci): learn the facts from the content.
            var blobs = new Dictionary<string, ReadOnlyMemory<byte>>();
            foreach (var descriptor in manifest.Layers.Prepend(manifest.Config))
            {
                blobs[descriptor.Digest] = await ReadBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
            }

            facts = ReadFacts(manifest, manifest.MediaType ?? entry.MediaType, (d, _) => blobs[d.Digest]);
        }

        var updated = annotations?.GetValueOrDefault(Annotations.Created) is { } created
            && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : File.GetLastWriteTimeUtc(BlobPath(entry.GetDigest()));
        return ToStoredImage(reference, entry, manifest, facts, updated);
    }

    /// <summary>Reads a blob's bytes, or only its first <c>headLength</c> bytes when that is given.</summary>
    private delegate ReadOnlyMemory<byte> BlobReader(Descriptor descriptor, int? headLength);

    private ModuleFacts ReadFacts(ImageManifest manifest, string? manifestMediaType, BlobReader blob)
    {
        var layout = ImageReader.Identify(manifest, manifestMediaType);
        var moduleLayer = ImageReader.ModuleLayer(manifest, layout);
        var configBlob = ImageReader.UsesConfigBlob(manifest) ? blob(manifest.Config, null) : (ReadOnlyMemory<byte>?)null;
        if (ImageReader.IsRawModule(layout))
        {
            // A raw module layer was verified against its digest on the way in, and that digest is the
            // module's sha256: only its header needs a look, not another pass over 32 MiB.
            ImageReader.CheckWasmHeader(blob(moduleLayer, ImageReader.WasmHeaderLength).Span);
            return new ModuleFacts(layout, moduleLayer.GetDigest(), moduleLayer.Size, ImageReader.ReadRuntimeConfig(manifest, configBlob, null));
        }

        var content = ImageReader.ReadModule(layout, blob(moduleLayer, null), _maxModuleSize);
        var runtimeConfig = ImageReader.ReadRuntimeConfig(manifest, configBlob, content.EmbeddedRuntimeConfig);
        return new ModuleFacts(layout, Digest.Compute(content.Module.Span), content.Module.Length, runtimeConfig);
    }

    private static StoredImage ToStoredImage(ImageReference reference, Descriptor manifestDescriptor, ImageManifest manifest, ModuleFacts facts, DateTimeOffset updated) => new()
    {
        Reference = reference,
        ManifestDigest = manifestDescriptor.GetDigest(),
        ManifestSize = manifestDescriptor.Size,
        Manifest = manifest,
        Layout = facts.Layout,
        ModuleDigest = facts.ModuleDigest,
        ModuleSize = facts.ModuleSize,
        RuntimeConfig = facts.RuntimeConfig,
        Updated = updated,
    };

    /// <summary>Parses a manifest from untrusted bytes; anything unusable is an integrity error naming <paramref name="source"/>.</summary>
    internal static ImageManifest ParseManifest(ReadOnlySpan<byte> bytes, string source)
    {
        if (!OciDocuments.TryParseManifest(bytes, out var manifest, out var problem))
        {
            throw new OciIntegrityException($"The image manifest of {source} cannot be used: {problem}. Nothing stored.");
        }

        return manifest.Layers.Count <= RegistryLimits.MaxLayers
            ? manifest
            : throw new OciIntegrityException($"The image manifest of {source} lists {manifest.Layers.Count} layers, more than the {RegistryLimits.MaxLayers} wasme fetches (a Wasm image has one or two); refused before fetching any. Nothing stored.");
    }

    private static Dictionary<string, string> EntryAnnotations(string refName, ModuleFacts facts, DateTimeOffset updated) => new()
    {
        [Annotations.RefName] = refName,
        [Annotations.Created] = updated.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        [Annotations.StoreLayout] = facts.Layout.ToDisplayName(),
        [Annotations.StoreModuleDigest] = facts.ModuleDigest.ToString(),
        [Annotations.StoreModuleSize] = facts.ModuleSize.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The media type an index.json entry gets. skopeo and the rest of containers/image look only at
    /// entries typed as OCI manifests or indexes, so a Docker schema 2 manifest (same shape, kept byte for
    /// byte so its digest holds) is listed as an OCI manifest; the manifest's own mediaType field still
    /// says Docker, and that is what wasme reads and pushes it as.
    /// </summary>
    private static string EntryMediaType(string mediaType) =>
        mediaType == MediaTypes.DockerManifest ? MediaTypes.OciManifest : mediaType;

    private static string RefName(ImageReference reference) =>
        reference.Tag is null ? reference.ToString() : reference.WithoutDigest().ToString();

    private static string? RefNameOf(Descriptor entry) => entry.Annotations?.GetValueOrDefault(Annotations.RefName);

    private static Descriptor? FindEntry(ImageIndex index, ImageReference reference)
    {
        var matches = index.Manifests.Where(m => Matches(m, reference)).ToList();
        return matches.Count == 0 ? null : matches[^1];
    }

    private static bool Matches(Descriptor entry, ImageReference reference)
    {
        var name = RefNameOf(entry);
        if (name is null || !ImageReference.TryParse(name, out var stored))
        {
            return false;
        }

        if (reference.Digest is { } digest)
        {
            return stored.Name == reference.Name
                && (entry.Digest == digest.ToString() || entry.Annotations?.GetValueOrDefault(Annotations.StoreIndexDigest) == digest.ToString());
        }

        return stored.Name == reference.Name && stored.Tag == reference.Tag;
    }

    private static OciIntegrityException MissingBlob(Descriptor descriptor) =>
        new($"The image references blob {descriptor.Digest} ({descriptor.MediaType}) but it was not provided.");

    private async Task EnsureLayoutAsync()
    {
        Directory.CreateDirectory(BlobDirectory);
        var layoutFile = new FileInfo(Path.Combine(Root, "oci-layout"));
        // Empty is what a process killed while creating it in place left: skopeo and umoci refuse such a layout.
        if (!layoutFile.Exists || layoutFile.Length == 0)
        {
            await AtomicFile.WriteAsync(layoutFile.FullName, JsonSerializer.SerializeToUtf8Bytes(new OciLayoutFile(), OciJsonContext.Default.OciLayoutFile), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<ImageIndex> ReadIndexAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(IndexPath))
        {
            return new ImageIndex { Manifests = [] };
        }

        byte[] bytes;
        try
        {
            if (new FileInfo(IndexPath).Length > MaxIndexSize)
            {
                throw Damaged($"it is larger than {MaxIndexSize} bytes");
            }

            bytes = await File.ReadAllBytesAsync(IndexPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreAccess.IsRefusal(ex))
        {
            throw StoreAccess.Refused(Root, ex);
        }

        return OciDocuments.TryParseIndex(bytes, out var index, out var problem) ? index : throw Damaged(problem);
    }

    private OciDamagedStoreException Damaged(string problem) => new(
        $"The store index {IndexPath} is damaged: {problem}. Every command on this store needs it. " +
        $"Repair it by hand if you know what it held, or move it aside ('mv {IndexPath} {IndexPath}.broken') and pull your images again; " +
        "blobs already in the store are reused.");

    /// <summary>
    /// Read-modify-write of index.json under the store's exclusive lock, so concurrent wasme processes do
    /// not lose entries. <paramref name="beforeWrite"/> runs under it too, and so does the collection of unreferenced
    /// blobs when an rmi asked for one (<see cref="CollectionPendingPath"/>).
    /// </summary>
    private async Task UpdateIndexAsync(
        Func<IReadOnlyList<Descriptor>, IReadOnlyList<Descriptor>> update,
        CancellationToken cancellationToken,
        Action? beforeWrite = null)
    {
        try
        {
            await EnsureLayoutAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreAccess.IsRefusal(ex))
        {
            throw StoreAccess.Refused(Root, ex);
        }

        await using var indexLock = await StoreLock.AcquireExclusiveAsync(LockPath, _timeProvider, cancellationToken).ConfigureAwait(false);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var updated = index with { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = update(index.Manifests) };
        try
        {
            beforeWrite?.Invoke();
            // Past this point the change is made: cancelling would leave committed blobs without their entry.
            await AtomicFile.WriteAsync(IndexPath, JsonSerializer.SerializeToUtf8Bytes(updated, OciJsonContext.Written.ImageIndex), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreAccess.IsRefusal(ex))
        {
            throw StoreAccess.Refused(Root, ex);
        }

        if (File.Exists(CollectionPendingPath))
        {
            CollectGarbage(updated);
        }

        AbandonedTempFiles.Remove([Root, BlobDirectory], _timeProvider.GetUtcNow());
    }

    /// <summary>
    /// Deletes blobs that no index entry reaches. Runs under the exclusive lock with the index just
    /// written, so a concurrent pull's blobs (committed under the same lock) are either referenced or not
    /// yet in place. When a reachable manifest cannot be read, nothing is deleted: better a stray blob
    /// than a deleted one that something still needs; the next write tries again.
    /// </summary>
    private void CollectGarbage(ImageIndex index)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in index.Manifests)
        {
            if (!Mark(entry.Digest, keep, depth: 0))
            {
                return;
            }
        }

        foreach (var file in Directory.EnumerateFiles(BlobDirectory))
        {
            var name = Path.GetFileName(file);
            if (Digest.TryParseHex(name, out _) && !keep.Contains(name))
            {
                AtomicFile.TryDelete(file);
            }
        }

        AtomicFile.TryDelete(CollectionPendingPath);
    }

    /// <summary>Marks a manifest or index and everything it references, whatever its media type says; false when unsure.</summary>
    private bool Mark(string digestText, HashSet<string> keep, int depth)
    {
        if (!Digest.TryParse(digestText, out var digest))
        {
            return false;
        }

        if (!keep.Add(digest.Hex))
        {
            return true;
        }

        var path = BlobPath(digest);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return true;
        }

        if (file.Length > RegistryLimits.MaxManifestSize || depth > 4)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var (property, nested) in new[] { ("config", false), ("subject", true), ("layers", false), ("blobs", false), ("manifests", true) })
            {
                if (!root.TryGetProperty(property, out var value))
                {
                    continue;
                }

                foreach (var child in value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : Enumerable.Repeat(value, 1))
                {
                    if (child.ValueKind != JsonValueKind.Object || !child.TryGetProperty("digest", out var childDigest) || childDigest.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    if (nested)
                    {
                        if (!Mark(childDigest.GetString()!, keep, depth + 1))
                        {
                            return false;
                        }
                    }
                    else if (Digest.TryParse(childDigest.GetString(), out var blobDigest))
                    {
                        keep.Add(blobDigest.Hex);
                    }
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return false;
        }
    }

    private sealed record ModuleFacts(ImageLayout Layout, Digest ModuleDigest, long ModuleSize, RuntimeConfig RuntimeConfig);
}
