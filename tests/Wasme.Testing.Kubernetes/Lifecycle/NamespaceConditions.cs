using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes.Lifecycle;

/// <summary>
/// The status conditions kube-controller-manager's namespace deleter keeps on a terminating namespace: one of each
/// type, in its order, False with its "ok" reason unless something remains; what remains is counted per resource
/// (<c>configmaps.</c> for the core group) and per finalizer, sorted as it sorts them.
/// </summary>
internal static class NamespaceConditions
{
    private static readonly (string Type, string Reason, string Message)[] Ok =
    [
        ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
        ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
        ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
        ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
    ];

    /// <summary>Updates <paramref name="status"/>'s conditions for what is left in the namespace.</summary>
    public static void Update(JsonObject status, IReadOnlyList<(ObjectKey Key, JsonObject Object)> remaining, string now)
    {
        var resources = remaining.GroupBy(r => $"{r.Key.Resource}.{r.Key.Group}")
            .Select(g => $"{g.Key} has {g.Count()} resource instances").Order(StringComparer.Ordinal).ToList();
        var finalizers = remaining.SelectMany(r => r.Object.Finalizers()).GroupBy(f => f)
            .Select(g => $"{g.Key} in {g.Count()} resource instances").Order(StringComparer.Ordinal).ToList();
        var failing = new Dictionary<string, (string Reason, string Message)>(StringComparer.Ordinal);
        if (resources.Count > 0)
        {
            failing["NamespaceContentRemaining"] = ("SomeResourcesRemain", $"Some resources are remaining: {string.Join(", ", resources)}");
        }

        if (finalizers.Count > 0)
        {
            failing["NamespaceFinalizersRemaining"] = ("SomeFinalizersRemain", $"Some content in the namespace has finalizers remaining: {string.Join(", ", finalizers)}");
        }

        if (status["conditions"] is not JsonArray conditions)
        {
            conditions = [];
            status["conditions"] = conditions;
        }

        foreach (var (type, okReason, okMessage) in Ok)
        {
            var (state, reason, message) = failing.TryGetValue(type, out var bad) ? ("True", bad.Reason, bad.Message) : ("False", okReason, okMessage);
            var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == type);
            if (existing is null)
            {
                conditions.Add(new JsonObject { ["type"] = type, ["status"] = state, ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message });
                continue;
            }

            if (existing.GetString("status") != state)
            {
                existing["lastTransitionTime"] = now;
            }

            existing["status"] = state;
            existing["reason"] = reason;
            existing["message"] = message;
        }
    }
}
