using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Istio.Workloads;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// Two FilterDeployments with the same filter id on one workload would both want <c>&lt;workload&gt;-&lt;id&gt;</c> and the same
/// HostPath annotation entry. The older one (creationTimestamp, then name) keeps them; the other is told so. Decided from
/// the caches alone, so every pass and every operator replica reaches the same answer.
/// </summary>
internal static class FilterIdClaims
{
    /// <summary>
    /// The workloads <paramref name="deployment"/> selects that another live FilterDeployment with the same id also selects,
    /// each with that other FilterDeployment; with <paramref name="olderOnly"/>, only rivals that take precedence.
    /// </summary>
    public static IReadOnlyDictionary<(WorkloadKind Kind, string Name), FilterDeployment> Rivals(
        FilterDeployment deployment, IEnumerable<FilterDeployment> sameNamespace, IReadOnlyList<Workload> workloads, bool olderOnly, string? filterId = null)
    {
        // filterId: an id this FilterDeployment held before spec.filter.id was edited, instead of its current one.
        var id = filterId ?? FilterDeploymentValidator.EffectiveId(deployment);
        var rivals = new Dictionary<(WorkloadKind, string), FilterDeployment>();
        foreach (var other in sameNamespace.Where(o => o.Metadata.Name != deployment.Metadata.Name).OrderBy(o => o, Precedence.Instance))
        {
            if (other.Metadata.DeletionTimestamp is not null
                || other.Spec?.Deployment?.Istio is not { } istio
                || FilterDeploymentValidator.EffectiveId(other) != id
                || (olderOnly && Precedence.Instance.Compare(other, deployment) > 0))
            {
                continue;
            }

            foreach (var workload in FilterDeploymentTranslator.Select(other, istio, workloads))
            {
                rivals.TryAdd((workload.Kind, workload.Name), other);
            }
        }

        return rivals;
    }

    public static string Describe(FilterDeployment deployment, (WorkloadKind Kind, string Name) workload, FilterDeployment holder)
    {
        var id = FilterDeploymentValidator.EffectiveId(deployment);
        return $"{FilterDeploymentTranslator.ResourceName(workload.Name, id)} on {workload.Kind} {workload.Name} belongs to FilterDeployment {holder.Metadata.Name}, "
            + $"which has the same filter id \"{id}\" and is older: change spec.filter.id (of this or the other), or remove FilterDeployment {holder.Metadata.Name}";
    }

    private sealed class Precedence : IComparer<FilterDeployment>
    {
        public static readonly Precedence Instance = new();

        public int Compare(FilterDeployment? x, FilterDeployment? y)
        {
            var byAge = Nullable.Compare(x?.Metadata.CreationTimestamp, y?.Metadata.CreationTimestamp);
            return byAge != 0 ? byAge : string.CompareOrdinal(x?.Metadata.Name, y?.Metadata.Name);
        }
    }
}
