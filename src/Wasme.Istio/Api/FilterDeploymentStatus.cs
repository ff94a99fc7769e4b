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

    /// <summary>Per selected workload (key = workload name).</summary>
    [JsonPropertyName("workloads")]
    public IDictionary<string, WorkloadStatus>? Workloads { get; set; }

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

public static class ConditionTypes
{
    /// <summary>Everything applied to every selected workload.</summary>
    public const string Ready = "Ready";

    /// <summary>The image reference resolved to a digest and its module was read.</summary>
    public const string ImageResolved = "ImageResolved";

    /// <summary>The desired EnvoyFilters/WasmPlugins and annotations were written.</summary>
    public const string Applied = "Applied";

    /// <summary>The resolved image carries a signature that <c>spec.filter.verification</c> accepts (only with verification).</summary>
    public const string Verified = "Verified";
}
