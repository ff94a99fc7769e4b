using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;

namespace Wasme.Oci.Store;

/// <summary>
/// An image in the local store, with the facts neighbours need: where the module is, its sha256
/// (the file name Envoy's cache uses), ABI versions and root ids, and which layout it was found in.
/// </summary>
public sealed record StoredImage
{
    public required ImageReference Reference { get; init; }
    public required Digest ManifestDigest { get; init; }
    public required long ManifestSize { get; init; }
    public required ImageManifest Manifest { get; init; }
    public required ImageLayout Layout { get; init; }

    /// <summary>sha256 of the module bytes themselves (not of a compressed layer).</summary>
    public required Digest ModuleDigest { get; init; }
    public required long ModuleSize { get; init; }
    public required RuntimeConfig RuntimeConfig { get; init; }

    /// <summary>When this tag was last written to the store.</summary>
    public required DateTimeOffset Updated { get; init; }

    public IReadOnlyList<string> AbiVersions => RuntimeConfig.AbiVersions;
    public IReadOnlyList<string> RootIds => RuntimeConfig.RootIds;

    /// <summary>Total size of manifest, config and layers as stored.</summary>
    public long TotalSize => ManifestSize + Manifest.Config.Size + Manifest.Layers.Where(l => l.Digest != Manifest.Config.Digest).Sum(l => l.Size);
}
