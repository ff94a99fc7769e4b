using Wasme.Oci.Manifests;
using Wasme.Oci.References;

namespace Wasme.Oci.Formats;

/// <summary>
/// A complete image in memory: manifest bytes exactly as hashed, and every blob it references.
/// Produced by <see cref="ImagePacker"/> or by a verified registry fetch.
/// </summary>
public sealed record PackedImage(
    ReadOnlyMemory<byte> ManifestBytes,
    Descriptor ManifestDescriptor,
    ImageManifest Manifest,
    IReadOnlyDictionary<Digest, ReadOnlyMemory<byte>> Blobs)
{
    public Digest ManifestDigest => ManifestDescriptor.GetDigest();
}
