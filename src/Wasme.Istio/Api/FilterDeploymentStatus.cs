using System.Text.Json.Serialization;
using k8s.Models;

namespace Wasme.Istio.Api;

public sealed class FilterDeploymentStatus
{
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    /// <summary>Standard conditions; types in <see cref="ConditionTypes"/>.</summary>
    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }

    /// <summary>The manifest digest the image reference resolved to (<c>sha256:...</c>).</summary>
    [JsonPropertyName("imageDigest")]
    public string? ImageDigest { get; set; }

    /// <summary>Hex sha256 of the module bytes.</summary>
    [JsonPropertyName("moduleSha256")]
    public string? ModuleSha256 { get; set; }

    /// <summary>
    /// The image <see cref="ImageDigest"/> belongs to, pinned: <c>repository@sha256:…</c>. A digest is only meaningful with its
    /// repository; after a failed image change <c>spec.filter.image</c> names another one.
    /// </summary>
    [JsonPropertyName("resolvedImage")]
    public string? ResolvedImage { get; set; }

    /// <summary>The pinned image whose module the applied EnvoyFilters/WasmPlugins use (<c>repository@sha256:…</c>); set once applied.</summary>
    [JsonPropertyName("appliedImage")]
    public string? AppliedImage { get; set; }

    /// <summary>Hex sha256 of the module the applied objects use; the module every node must keep serving.</summary>
    [JsonPropertyName("appliedModuleSha256")]
    public string? AppliedModuleSha256 { get; set; }

    /// <summary>Per selected workload (key = workload name).</summary>
    [JsonPropertyName("workloads")]
    public IDictionary<string, WorkloadStatus>? Workloads { get; set; }

    /// <summary>
    /// HostPath delivery: each node that runs pods of a selected workload, and whether its cache holds the module
    /// (sorted by name). Null for the other delivery modes.
    /// </summary>
    [JsonPropertyName("nodes")]
    public IList<NodeStatus>? Nodes { get; set; }

    /// <summary>HostPath delivery: "held/total" of <see cref="Nodes"/>, e.g. <c>2/3</c> (a printer column).</summary>
    [JsonPropertyName("nodesReady")]
    public string? NodesReady { get; set; }

    /// <summary>Error of the whole apply or removal, if any.</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; set; }
}

public sealed class WorkloadStatus
{
    [JsonPropertyName("state")]
    public WorkloadState? State { get; set; }

    [JsonPropertyName("reason")]
    public string? Reason { get; set; }
}

public sealed class NodeStatus
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>True once the node's cache reports the module (docs/cache.md, "Readiness per node").</summary>
    [JsonPropertyName("ready")]
    public bool Ready { get; set; }
}

public static class ConditionTypes
{
    /// <summary>Everything applied to every selected workload.</summary>
    public const string Ready = "Ready";

    /// <summary>The image reference resolved to a digest and its module was read.</summary>
    public const string ImageResolved = "ImageResolved";

    /// <summary>The desired EnvoyFilters/WasmPlugins and annotations were written.</summary>
    public const string Applied = "Applied";

    /// <summary>HostPath only: every node that runs the selected workloads' pods holds the module.</summary>
    public const string ModuleDistributed = "ModuleDistributed";

    /// <summary>The resolved image carries a signature that <c>spec.filter.verification</c> accepts (only with verification).</summary>
    public const string Verified = "Verified";
}
