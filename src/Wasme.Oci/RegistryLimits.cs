namespace Wasme.Oci;

/// <summary>Size bounds applied before anything is allocated or stored.</summary>
public static class RegistryLimits
{
    /// <summary>Manifests and indexes: 4 MiB, as the distribution spec recommends registries accept.</summary>
    public const long MaxManifestSize = 4L * 1024 * 1024;

    /// <summary>Default bound on a module, and on a compat layer's decompressed size (same as Istio).</summary>
    public const long DefaultMaxModuleSize = 256L * 1024 * 1024;

    /// <summary>
    /// Layers of an image pulled: a Wasm image has one or two, and docker stops near 127. A manifest within its 4 MiB
    /// can list some 17,000, each fetched on its own connection into its own temp file (every file descriptor of a
    /// 1024 ulimit, a blob each up to the module limit).
    /// </summary>
    public const int MaxLayers = 128;

    /// <summary>
    /// Entries of an index fetched in turn looking for its Wasm image (marked ones first): an index within its 4 MiB can
    /// list some 17,000, each a manifest of up to 4 MiB.
    /// </summary>
    public const int MaxIndexEntriesTried = 16;

    /// <summary>Config blobs and token responses.</summary>
    public const long MaxConfigSize = 1024 * 1024;
}
