using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Selectors;

/// <summary>
/// The fields each kind can be selected by, as kube-apiserver 1.32 converts field labels: custom resources by
/// name, namespace (when namespaced) and their version's selectableFields; built-in kinds by their registered
/// lists, or by name and namespace only. Any other field is a 400 before anything is listed or watched.
/// </summary>
internal static class FieldLabels
{
    private static readonly Dictionary<(string Group, string Kind), string[]> Registered = new()
    {
        [("", "Pod")] = ["metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName", "spec.host"],
        [("", "Node")] = ["metadata.name", "spec.unschedulable"],
        [("", "ReplicationController")] = ["metadata.name", "metadata.namespace", "status.replicas"],
        [("", "Event")] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
            "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type", "metadata.namespace", "metadata.name"],
        [("", "Namespace")] = ["status.phase", "metadata.name"],
        [("", "Secret")] = ["type", "metadata.namespace", "metadata.name"],
        [("", "Service")] = ["metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"],
    };

    // Kinds with lists of their own that this server does not know: any field passes.
    private static readonly HashSet<(string Group, string Kind)> Unmodelled = [("apps", "ReplicaSet"), ("batch", "Job"), ("events.k8s.io", "Event")];

    public static void Check(ResourceType type, FieldSelector selector)
    {
        foreach (var label in selector.Fields)
        {
            if (Refusal(type, label) is { } message)
            {
                throw ApiException.BadRequest(message);
            }
        }
    }

    private static string? Refusal(ResourceType type, string label)
    {
        if (type.IsCustom)
        {
            return label == "metadata.name" || (type.Namespaced && label == "metadata.namespace") || type.SelectableFields.Contains(label)
                ? null
                : $"field label not supported: {label}";
        }

        if (Registered.TryGetValue((type.Group, type.Kind), out var fields))
        {
            return fields.Contains(label) ? null : $"field label not supported: {label}";
        }

        return Unmodelled.Contains((type.Group, type.Kind)) || label is "metadata.name" or "metadata.namespace"
            ? null
            : $"\"{label}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"";
    }
}
