using k8s;
using Wasme.Istio.Translation;
using Wasme.Istio.Workloads;

namespace Wasme.Operator.HostPath;

/// <summary>One pod an EnvoyFilter for the workload would reach: where it runs, and whether its sidecar mounts the node cache.</summary>
public sealed record PodPlacement(string Name, string? NodeName, bool MountsCache);

/// <summary>
/// The pods a workload's EnvoyFilter reaches: those in its namespace whose labels include every pod-template label (the
/// EnvoyFilter's <c>workloadSelector</c>), read with one label-selected list per look. Pods that have finished are left
/// out; terminating ones are not (their proxies still take configuration until they stop).
/// </summary>
public sealed class WorkloadPods
{
    private readonly IKubernetes _client;

    public WorkloadPods(IKubernetes client)
    {
        _client = client;
    }

    public async Task<IReadOnlyList<PodPlacement>> ListAsync(Workload workload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var selector = string.Join(',', workload.PodTemplateLabels.Select(l => $"{l.Key}={l.Value}"));
        var pods = await _client.CoreV1.ListNamespacedPodAsync(workload.Namespace, labelSelector: selector.Length > 0 ? selector : null, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. pods.Items
            .Where(p => p.Status?.Phase is not ("Succeeded" or "Failed"))
            .Select(p => new PodPlacement(
                p.Metadata.Name,
                p.Spec?.NodeName is { Length: > 0 } node ? node : null,
                p.Metadata.Annotations is { } annotations && annotations.TryGetValue(WasmeMetadata.HostPathFiltersAnnotation, out var filters) && filters.Length > 0))
            .OrderBy(p => p.Name, StringComparer.Ordinal)];
    }
}
