using System.Text.Json.Nodes;
using Wasme.Istio.Translation;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.FilterDeployments;

public enum ResourceActionKind
{
    Create,
    Update,
    Delete,
}

/// <summary>One write needed to make the owned objects match the desired ones.</summary>
public sealed record ResourceAction(ResourceActionKind Kind, string ResourceKind, string Namespace, string Name, DesiredResource? Desired, GenericResource? Current);

/// <summary>
/// The pure diff between what the translation wants and what the operator owns now. An object that
/// already matches produces no action, so a steady-state reconcile writes nothing.
/// </summary>
public static class ResourcePlan
{
    public static IReadOnlyList<ResourceAction> Compute(IReadOnlyList<DesiredResource> desired, IReadOnlyList<GenericResource> current)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(current);
        var actions = new List<ResourceAction>();
        var byKey = current.ToDictionary(c => (c.Kind, c.Metadata.NamespaceProperty ?? "", c.Metadata.Name));
        var wanted = new HashSet<(string, string, string)>();
        foreach (var resource in desired)
        {
            var key = (resource.Kind, resource.Namespace, resource.Name);
            wanted.Add(key);
            if (!byKey.TryGetValue(key, out var existing))
            {
                actions.Add(new(ResourceActionKind.Create, resource.Kind, resource.Namespace, resource.Name, resource, null));
            }
            else if (!Matches(resource.Manifest, existing))
            {
                actions.Add(new(ResourceActionKind.Update, resource.Kind, resource.Namespace, resource.Name, resource, existing));
            }
        }

        foreach (var existing in current)
        {
            var key = (existing.Kind, existing.Metadata.NamespaceProperty ?? "", existing.Metadata.Name);
            if (!wanted.Contains(key) && existing.Metadata.DeletionTimestamp is null)
            {
                actions.Add(new(ResourceActionKind.Delete, existing.Kind, key.Item2, key.Item3, null, existing));
            }
        }

        return actions;
    }

    /// <summary>
    /// True when <paramref name="current"/> already carries everything <paramref name="manifest"/> asks for: the same spec,
    /// and the desired labels, annotations and owner references (others may add their own labels without causing a write).
    /// </summary>
    public static bool Matches(JsonObject manifest, GenericResource current)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(current);
        var metadata = manifest["metadata"] as JsonObject;
        return JsonNode.DeepEquals(manifest["spec"], current.Spec)
            && Contains(metadata?["labels"] as JsonObject, current.Metadata.Labels)
            && Contains(metadata?["annotations"] as JsonObject, current.Metadata.Annotations)
            && OwnersMatch(metadata?["ownerReferences"] as JsonArray, current);
    }

    private static bool Contains(JsonObject? wanted, IDictionary<string, string>? actual)
    {
        if (wanted is null)
        {
            return true;
        }

        foreach (var (key, value) in wanted)
        {
            if (actual is null || !actual.TryGetValue(key, out var existing) || existing != value?.GetValue<string>())
            {
                return false;
            }
        }

        return true;
    }

    private static bool OwnersMatch(JsonArray? wanted, GenericResource current)
    {
        var wantedUids = wanted?.Select(o => o?["uid"]?.GetValue<string>()).Where(u => u is not null).Order(StringComparer.Ordinal).ToList() ?? [];
        var currentUids = current.Metadata.OwnerReferences?.Select(o => o.Uid).Order(StringComparer.Ordinal).ToList() ?? [];
        return wantedUids.SequenceEqual(currentUids);
    }
}
