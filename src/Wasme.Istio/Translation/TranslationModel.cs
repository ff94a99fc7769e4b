using System.Text.Json.Nodes;
using Wasme.Istio.Validation;
using Wasme.Istio.Versions;
using Wasme.Istio.Workloads;

namespace Wasme.Istio.Translation;

/// <summary>Facts about the cluster that shape the output.</summary>
public sealed record TranslationOptions
{
    /// <summary>Istio release of the control plane that serves the workloads.</summary>
    public IstioVersion IstioVersion { get; init; } = IstioVersion.Latest;

    /// <summary>Skip the ABI compatibility check (the image's declared ABI vs. the Istio release).</summary>
    public bool IgnoreVersionCheck { get; init; }

    /// <summary>DNS name of the cache Service that serves <c>GET /sha256/&lt;hex&gt;</c> (Remote delivery).</summary>
    public string CacheServiceHost { get; init; } = "wasme-cache.wasme.svc.cluster.local";

    public int CacheServicePort { get; init; } = 9979;

    /// <summary>
    /// True for <c>wasme deploy istio</c>: there is no FilterDeployment object behind the output, so it gets neither the
    /// <c>wasme.io/filter-deployment</c> label nor an owner reference (the operator must not adopt or collect it).
    /// </summary>
    public bool Standalone { get; init; }
}

/// <summary>A Kubernetes object the translation wants to exist, as JSON ready to send to the API server.</summary>
public sealed record DesiredResource(string ApiVersion, string Kind, string Namespace, string Name, JsonObject Manifest);

/// <summary>Pod-template annotation edits: keys to set (with their values) and keys to remove.</summary>
public sealed record AnnotationChanges(IReadOnlyDictionary<string, string> Set, IReadOnlyList<string> Remove)
{
    public static AnnotationChanges None { get; } = new(new SortedDictionary<string, string>(StringComparer.Ordinal), []);

    public bool IsEmpty => Set.Count == 0 && Remove.Count == 0;

    /// <summary>The annotations after the edit.</summary>
    public SortedDictionary<string, string> ApplyTo(IReadOnlyDictionary<string, string> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var result = new SortedDictionary<string, string>(annotations.ToDictionary(), StringComparer.Ordinal);
        foreach (var key in Remove)
        {
            result.Remove(key);
        }

        foreach (var (key, value) in Set)
        {
            result[key] = value;
        }

        return result;
    }
}

/// <summary>A change to one workload's pod template.</summary>
public sealed record WorkloadPatch(Workload Workload, AnnotationChanges PodTemplateAnnotations);

/// <summary>
/// Everything one FilterDeployment wants: the selected workloads, the objects to create, and the pod-template
/// edits. When <see cref="Problems"/> is not empty nothing else is filled in and nothing should be applied.
/// </summary>
public sealed record TranslationResult(
    IReadOnlyList<Workload> SelectedWorkloads,
    IReadOnlyList<DesiredResource> Resources,
    IReadOnlyList<WorkloadPatch> WorkloadPatches,
    IReadOnlyList<ValidationProblem> Problems,
    IReadOnlyList<string> Warnings)
{
    public bool Succeeded => Problems.Count == 0;
}
