using k8s;
using k8s.Models;
using Wasme.Istio.Api;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// Builds the next status from the previous one. A condition keeps its lastTransitionTime unless its
/// status flips, so an unchanged world produces an identical status and no write.
/// </summary>
internal sealed class FilterDeploymentStatusBuilder
{
    private readonly FilterDeploymentStatus? _previous;
    private readonly DateTime _now;
    private readonly long? _generation;
    private readonly Dictionary<string, V1Condition> _conditions = new(StringComparer.Ordinal);

    public FilterDeploymentStatusBuilder(FilterDeployment deployment, DateTime now)
    {
        _previous = deployment.Status;
        _now = now;
        _generation = deployment.Metadata.Generation;
        Status = new FilterDeploymentStatus
        {
            ObservedGeneration = _generation,
            ImageDigest = _previous?.ImageDigest,
            ModuleSha256 = _previous?.ModuleSha256,
            ResolvedImage = _previous?.ResolvedImage,
            AppliedImage = _previous?.AppliedImage,
            AppliedModuleSha256 = _previous?.AppliedModuleSha256,
            Workloads = _previous?.Workloads,
            Nodes = _previous?.Nodes,
            NodesReady = _previous?.NodesReady,
        };

        // Known only where a reconcile gets as far as the HostPath gate; until then the last word stands.
        if (Find(_previous, ConditionTypes.ModuleDistributed) is { } distributed)
        {
            _conditions[distributed.Type] = distributed;
        }
    }

    public FilterDeploymentStatus Status { get; }

    public FilterDeploymentStatusBuilder Condition(string type, bool? status, string reason, string message)
    {
        var text = status switch { true => "True", false => "False", null => "Unknown" };
        var previous = _previous?.Conditions?.FirstOrDefault(c => c.Type == type);
        _conditions[type] = new V1Condition
        {
            Type = type,
            Status = text,
            Reason = reason,
            Message = message,
            ObservedGeneration = _generation,
            LastTransitionTime = previous is not null && previous.Status == text ? previous.LastTransitionTime : _now,
        };
        return this;
    }

    /// <summary>Carries a condition over unchanged.</summary>
    public FilterDeploymentStatusBuilder Keep(V1Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        _conditions[condition.Type] = condition;
        return this;
    }

    public FilterDeploymentStatusBuilder Remove(string type)
    {
        _conditions.Remove(type);
        return this;
    }

    public FilterDeploymentStatus Build()
    {
        Status.Conditions = [.. new[] { ConditionTypes.Ready, ConditionTypes.ImageResolved, ConditionTypes.Verified, ConditionTypes.Applied, ConditionTypes.ModuleDistributed }
            .Select(t => _conditions.GetValueOrDefault(t))
            .Where(c => c is not null)
            .Cast<V1Condition>()];
        Status.Reason = _conditions.Values.FirstOrDefault(c => c.Status == "False" && c.Type != ConditionTypes.Ready)?.Message;
        return Status;
    }

    /// <summary>The condition of <paramref name="type"/> in <paramref name="status"/>, if any.</summary>
    public static V1Condition? Find(FilterDeploymentStatus? status, string type) =>
        status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>Compares two statuses by their wire form (what a write would change).</summary>
    public static bool SameAs(FilterDeploymentStatus? a, FilterDeploymentStatus? b) =>
        a is null || b is null ? a is null && b is null : KubernetesJson.Serialize(a) == KubernetesJson.Serialize(b);
}
