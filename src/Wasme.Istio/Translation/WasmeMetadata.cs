namespace Wasme.Istio.Translation;

/// <summary>
/// Labels and annotations on everything wasme creates or changes, so that the operator and <c>undeploy</c>
/// find exactly their own objects and nothing else.
/// </summary>
public static class WasmeMetadata
{
    /// <summary>Label on generated objects: <c>app.kubernetes.io/managed-by=wasme</c>.</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "wasme";

    /// <summary>Label on generated objects: name of the FilterDeployment (in the same namespace) that wants them.</summary>
    public const string FilterDeploymentLabel = "wasme.io/filter-deployment";

    /// <summary>Label on generated objects: the filter id.</summary>
    public const string FilterIdLabel = "wasme.io/filter-id";

    /// <summary>Annotation on generated objects: <c>&lt;Kind&gt;/&lt;name&gt;</c> of the workload they configure.</summary>
    public const string WorkloadAnnotation = "wasme.io/workload";

    /// <summary>Annotation on generated objects: the image reference as written in the spec.</summary>
    public const string ImageAnnotation = "wasme.io/image";

    /// <summary>Annotation on generated objects: hex sha256 of the module they load.</summary>
    public const string ModuleSha256Annotation = "wasme.io/module-sha256";

    /// <summary>Pod-template annotation (HostPath only): comma-separated ids of the filters that need the cache volume.</summary>
    public const string HostPathFiltersAnnotation = "wasme.io/hostpath-filters";

    /// <summary>Prefix of the pod-template annotations that keep the user's own values (same names as the original wasme).</summary>
    public const string BackupPrefix = "wasme-backup.";

    public const string UserVolumeAnnotation = "sidecar.istio.io/userVolume";
    public const string UserVolumeMountAnnotation = "sidecar.istio.io/userVolumeMount";

    /// <summary>Where the cache DaemonSet writes modules on each node (HostPath delivery), named by module sha256.</summary>
    public const string HostCacheDirectory = "/var/local/lib/wasme-cache";

    /// <summary>Name of the sidecar volume that mounts <see cref="HostCacheDirectory"/>.</summary>
    public const string CacheVolumeName = "wasme-cache";
}
