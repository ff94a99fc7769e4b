namespace Wasme.Oci.Manifests;

/// <summary>Media types of manifests, configs and layers that wasme writes or accepts.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>wasme's runtime config (<see cref="RuntimeConfig"/>), also pushed as layer 0.</summary>
    public const string WasmeConfig = "application/vnd.module.wasm.config.v1+json";

    /// <summary>wasme's raw, uncompressed module layer.</summary>
    public const string WasmeModuleLayer = "application/vnd.module.wasm.content.layer.v1+wasm";

    /// <summary>Istio compat variant: a tar+gzip layer holding <c>plugin.wasm</c>.</summary>
    public const string OciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string DockerLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string OciImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerImageConfig = "application/vnd.docker.container.image.v1+json";

    /// <summary>wasm-to-oci single-layer artifacts.</summary>
    public const string WasmToOciLayer = "application/vnd.wasm.content.layer.v1+wasm";
    public const string WasmToOciConfig = "application/vnd.wasm.config.v1+json";

    /// <summary>CNCF "Wasm OCI Artifact" layer and config.</summary>
    public const string WasmLayer = "application/wasm";
    public const string CncfWasmConfig = "application/vnd.wasm.config.v0+json";

    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    /// <summary>Accept header for manifest requests: everything wasme can read.</summary>
    public static readonly string[] AcceptedManifests = [OciManifest, DockerManifest, OciIndex, DockerManifestList];
}
