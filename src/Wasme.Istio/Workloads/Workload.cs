using k8s.Models;
using Wasme.Istio.Api;

namespace Wasme.Istio.Workloads;

/// <summary>The parts of a Deployment, DaemonSet or StatefulSet that the translation reads.</summary>
public sealed record Workload(
    WorkloadKind Kind,
    string Name,
    string Namespace,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> PodTemplateLabels,
    IReadOnlyDictionary<string, string> PodTemplateAnnotations)
{
    public static Workload From(V1Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return Create(WorkloadKind.Deployment, deployment.Metadata, deployment.Spec?.Template?.Metadata);
    }

    public static Workload From(V1DaemonSet daemonSet)
    {
        ArgumentNullException.ThrowIfNull(daemonSet);
        return Create(WorkloadKind.DaemonSet, daemonSet.Metadata, daemonSet.Spec?.Template?.Metadata);
    }

    public static Workload From(V1StatefulSet statefulSet)
    {
        ArgumentNullException.ThrowIfNull(statefulSet);
        return Create(WorkloadKind.StatefulSet, statefulSet.Metadata, statefulSet.Spec?.Template?.Metadata);
    }

    private static Workload Create(WorkloadKind kind, V1ObjectMeta? metadata, V1ObjectMeta? template) => new(
        kind,
        metadata?.Name ?? throw new ArgumentException("The workload has no metadata.name."),
        metadata.NamespaceProperty ?? "default",
        Copy(metadata.Labels),
        Copy(template?.Labels),
        Copy(template?.Annotations));

    private static SortedDictionary<string, string> Copy(IDictionary<string, string>? source) =>
        source is null ? new(StringComparer.Ordinal) : new(source, StringComparer.Ordinal);
}
