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
/// Every write is temp+fsync+rename and blobs are written before the index points at them, so an
/// interrupted add leaves the store as it was.
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

    /// <summary>The store path: an explicit <c>--store</c>, else <c>WASME_STORE</c>, else <c>~/.wasme/store</c>.</summary>
    public static string ResolveRoot(string? explicitPath, Func<string, string?> getEnvironmentVariable)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
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

    /// <summary>Where a pull streams its blobs: temp files in the store, committed by <see cref="AddStagedAsync"/>.</summary>
    public StagedBlobs StageBlobs() => new(Path.Combine(Root, "blobs", "sha256"));

    /// <summary>
    /// Stores an image whose manifest bytes are verified and whose blobs were each streamed into
    /// <paramref name="blobs"/> and verified against their digests. The module is read only as far as
    /// its facts need (its header, for a raw module layer).
    /// </summary>
    public async Task<StoredImage> AddStagedAsync(ImageReference reference, ReadOnlyMemory<byte> manifestBytes, Descriptor manifestDescriptor, ImageManifest manifest, StagedBlobs blobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        var facts = ReadFacts(manifest, manifestDescriptor.MediaType, (d, head) => blobs.Contains(d.GetDigest()) ? blobs.Read(d.GetDigest(), head) : throw MissingBlob(d));
        CheckPinned(reference, manifestDescriptor.GetDigest());
        EnsureLayout();
        var manifestStaged = blobs.Contains(manifestDescriptor.GetDigest());
        blobs.Commit(BlobPath);
        if (!manifestStaged)
        {
            await WriteBlobAsync(manifestDescriptor.GetDigest(), manifestBytes, cancellationToken).ConfigureAwait(false);
        }

        return await AddEntryAsync(reference, manifestDescriptor, manifest, facts, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StoredImage> AddPackedAsync(ImageReference reference, PackedImage image, ModuleFacts facts, CancellationToken cancellationToken)
    {
        CheckPinned(reference, image.ManifestDigest);
        EnsureLayout();
        // Blobs and manifest are separate files, each written atomically: write them at once so their
        // fsyncs overlap. Only the index update below makes the image visible, so the order does not matter.
        await Task.WhenAll(image.Blobs
            .Select(blob => WriteBlobAsync(blob.Key, blob.Value, cancellationToken))
            .Append(WriteBlobAsync(image.ManifestDigest, image.ManifestBytes, cancellationToken))).ConfigureAwait(false);
        return await AddEntryAsync(reference, image.ManifestDescriptor, image.Manifest, facts, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckPinned(ImageReference reference, Digest manifestDigest)
    {
        if (reference.Digest is { } pinned && pinned != manifestDigest)
        {
            throw new OciIntegrityException($"Image manifest digest {manifestDigest} does not match the reference's {pinned}; nothing stored.");
        }
    }

    /// <summary>Makes a stored image visible under the reference: the one write that publishes it.</summary>
    private async Task<StoredImage> AddEntryAsync(ImageReference reference, Descriptor manifestDescriptor, ImageManifest manifest, ModuleFacts facts, CancellationToken cancellationToken)
    {
        var updated = _timeProvider.GetUtcNow();
        var entry = manifestDescriptor with
        {
            Annotations = EntryAnnotations(RefName(reference), facts, updated),
        };
        await UpdateIndexAsync(
            manifests => [.. manifests.Where(m => RefNameOf(m) != RefName(reference)), entry],
            cancellationToken).ConfigureAwait(false);
        return ToStoredImage(reference, manifestDescriptor, manifest, facts, updated);
    }

    /// <summary>Finds a stored image by tag or digest; null when absent.</summary>
    public async Task<StoredImage?> FindAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
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
        ?? throw new OciNotFoundException(
            $"Image '{reference}' is not in the local store ({Root}). Run 'wasme list' to see stored images, or 'wasme pull {reference}'.");

    public async Task<IReadOnlyList<StoredImage>> ListAsync(CancellationToken cancellationToken = default)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var images = new List<StoredImage>();
        foreach (var entry in index.Manifests)
        {
            if (RefNameOf(entry) is { } name && ImageReference.TryParse(name, out var reference))
            {
                images.Add(await LoadAsync(reference, entry, cancellationToken).ConfigureAwait(false));
            }
        }

        return [.. images.OrderBy(i => i.Reference.Name, StringComparer.Ordinal).ThenByDescending(i => i.Updated)];
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
            MediaType = image.Manifest.MediaType ?? MediaTypes.OciManifest,
            Digest = image.ManifestDigest.ToString(),
            Size = image.ManifestSize,
            Annotations = EntryAnnotations(RefName(target), facts, updated),
        };
        await UpdateIndexAsync(
            manifests => [.. manifests.Where(m => RefNameOf(m) != RefName(target)), entry],
            cancellationToken).ConfigureAwait(false);
        return image with { Reference = target, Updated = updated };
    }

    /// <summary>Removes the tag (or every tag of a digest) and deletes blobs nothing else references.</summary>
    public async Task<StoredImage> RemoveAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        var image = await GetAsync(reference, cancellationToken).ConfigureAwait(false);
        var remaining = await UpdateIndexAsync(
            manifests => [.. manifests.Where(m => !Matches(m, reference))],
            cancellationToken).ConfigureAwait(false);
        CollectGarbage(remaining);
        return image;
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
        var manifest = ParseManifest(manifestBytes);
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

            facts = ReadFacts(manifest, entry.MediaType, (d, _) => blobs[d.Digest]);
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

    internal static ImageManifest ParseManifest(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, OciJsonContext.Default.ImageManifest)
                ?? throw new OciUsageException("The manifest is 'null'.");
        }
        catch (JsonException ex)
        {
            throw new OciUsageException($"The image manifest is not valid JSON or lacks config/layers: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, string> EntryAnnotations(string refName, ModuleFacts facts, DateTimeOffset updated) => new()
    {
        [Annotations.RefName] = refName,
        [Annotations.Created] = updated.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        [Annotations.StoreLayout] = facts.Layout.ToDisplayName(),
        [Annotations.StoreModuleDigest] = facts.ModuleDigest.ToString(),
        [Annotations.StoreModuleSize] = facts.ModuleSize.ToString(CultureInfo.InvariantCulture),
    };

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
            return stored.Name == reference.Name && entry.Digest == digest.ToString();
        }

        return stored.Name == reference.Name && stored.Tag == reference.Tag;
    }

    private static OciIntegrityException MissingBlob(Descriptor descriptor) =>
        new($"The image references blob {descriptor.Digest} ({descriptor.MediaType}) but it was not provided.");

    private void EnsureLayout()
    {
        Directory.CreateDirectory(Path.Combine(Root, "blobs", "sha256"));
        var layoutFile = Path.Combine(Root, "oci-layout");
        if (!File.Exists(layoutFile))
        {
            File.WriteAllBytes(layoutFile, JsonSerializer.SerializeToUtf8Bytes(new OciLayoutFile(), OciJsonContext.Default.OciLayoutFile));
        }
    }

    private async Task WriteBlobAsync(Digest digest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = BlobPath(digest);
        var existing = new FileInfo(path);
        if (existing.Exists && existing.Length == content.Length)
        {
            return;
        }

        await AtomicFile.WriteAsync(path, content, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ImageIndex> ReadIndexAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(IndexPath))
        {
            return new ImageIndex { Manifests = [] };
        }

        var info = new FileInfo(IndexPath);
        if (info.Length > MaxIndexSize)
        {
            throw new OciIntegrityException($"{IndexPath} is larger than {MaxIndexSize} bytes; refusing to read it.");
        }

        var bytes = await File.ReadAllBytesAsync(IndexPath, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(bytes, OciJsonContext.Default.ImageIndex) ?? new ImageIndex { Manifests = [] };
        }
        catch (JsonException ex)
        {
            throw new OciUsageException($"The store index {IndexPath} is not valid JSON ({ex.Message}). Fix or remove it.", ex);
        }
    }

    /// <summary>Read-modify-write of index.json under an exclusive lock file, so concurrent wasme processes do not lose entries.</summary>
    private async Task<ImageIndex> UpdateIndexAsync(Func<IReadOnlyList<Descriptor>, IReadOnlyList<Descriptor>> update, CancellationToken cancellationToken)
    {
        EnsureLayout();
        await using var indexLock = await StoreLock.AcquireAsync(Path.Combine(Root, ".wasme.lock"), cancellationToken).ConfigureAwait(false);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var updated = index with { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = update(index.Manifests) };
        await AtomicFile.WriteAsync(IndexPath, JsonSerializer.SerializeToUtf8Bytes(updated, OciJsonContext.Default.ImageIndex), cancellationToken).ConfigureAwait(false);
        return updated;
    }

    private void CollectGarbage(ImageIndex index)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in index.Manifests)
        {
            Mark(entry, keep, depth: 0);
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "blobs", "sha256")))
        {
            var name = Path.GetFileName(file);
            if (Digest.TryParseHex(name, out _) && !keep.Contains(name))
            {
                AtomicFile.TryDelete(file);
            }
        }
    }

    private void Mark(Descriptor descriptor, HashSet<string> keep, int depth)
    {
        if (!Digest.TryParse(descriptor.Digest, out var digest) || !keep.Add(digest.Hex) || depth > 4)
        {
            return;
        }

        var path = BlobPath(digest);
        if (!File.Exists(path) || new FileInfo(path).Length > RegistryLimits.MaxManifestSize)
        {
            return;
        }

        if (descriptor.MediaType is MediaTypes.OciIndex or MediaTypes.DockerManifestList)
        {
            var index = JsonSerializer.Deserialize(File.ReadAllBytes(path), OciJsonContext.Default.ImageIndex);
            foreach (var child in index?.Manifests ?? [])
            {
                Mark(child, keep, depth + 1);
            }
        }
        else if (descriptor.MediaType is MediaTypes.OciManifest or MediaTypes.DockerManifest)
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllBytes(path), OciJsonContext.Default.ImageManifest);
            if (manifest is not null)
            {
                foreach (var child in manifest.Layers.Prepend(manifest.Config))
                {
                    if (Digest.TryParse(child.Digest, out var childDigest))
                    {
                        keep.Add(childDigest.Hex);
                    }
                }
            }
        }
    }

    private sealed record ModuleFacts(ImageLayout Layout, Digest ModuleDigest, long ModuleSize, RuntimeConfig RuntimeConfig);
}
