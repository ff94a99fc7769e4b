namespace Wasme.Oci.Manifests;

/// <summary>Annotation keys wasme reads or writes.</summary>
public static class Annotations
{
    public const string Title = "org.opencontainers.image.title";
    public const string Created = "org.opencontainers.image.created";

    /// <summary>Tag of an entry in an OCI layout's <c>index.json</c> (what skopeo's <c>oci:DIR:NAME</c> matches).</summary>
    public const string RefName = "org.opencontainers.image.ref.name";

    /// <summary>Comma-joined ABI versions (original wasme manifest annotation).</summary>
    public const string AbiVersion = "module.wasm.runtime/abi_version";

    /// <summary>Runtime type, <c>envoy_proxy</c> (original wasme manifest annotation).</summary>
    public const string RuntimeType = "module.wasm.runtime/type";

    /// <summary>Marks the OCI-media-type compat variant (solo spec-compat).</summary>
    public const string Variant = "module.wasm.image/variant";

    /// <summary>Store-only facts kept on <c>index.json</c> entries so listing needs no decompression.</summary>
    public const string StoreModuleDigest = "io.wasme.module.digest";
    public const string StoreModuleSize = "io.wasme.module.size";
    public const string StoreLayout = "io.wasme.layout";

    /// <summary>The index a pulled manifest was chosen from, so a reference pinned to the index finds it.</summary>
    public const string StoreIndexDigest = "io.wasme.index.digest";
}
