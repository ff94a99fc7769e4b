using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Validation.Apps;
using Wasme.Testing.Kubernetes.Validation.Coordination;
using Wasme.Testing.Kubernetes.Validation.Core;
using Wasme.Testing.Kubernetes.Validation.Networking;
using Wasme.Testing.Kubernetes.Validation.Policy;

namespace Wasme.Testing.Kubernetes.Validation;

/// <summary>
/// The kind-specific validation kube-apiserver 1.32 runs on a built-in object before storing it, on create and update
/// (patches and server-side apply end here too, with the patched object). One validator per kind family.
/// </summary>
internal static class BuiltInValidation
{
    /// <param name="type">The object's resource.</param>
    /// <param name="obj">The object to store.</param>
    /// <param name="old">The stored object on update; null on create.</param>
    public static IEnumerable<FieldError> Validate(ResourceType type, JsonObject obj, JsonObject? old) => (type.Group, type.Kind) switch
    {
        ("apps", _) => WorkloadValidation.Validate(type, obj, old),
        ("", "Event") or ("events.k8s.io", "Event") => EventValidation.Validate(type, obj, old),
        ("", "Pod") => PodSpecValidation.Spec(obj["spec"] as JsonObject ?? [], "spec"),
        ("", "PodTemplate") => obj["template"] is JsonObject template ? PodSpecValidation.Spec(template["spec"] as JsonObject ?? [], "template.spec") : [],
        ("", "ConfigMap") => ConfigDataValidation.ConfigMap(obj, old),
        ("", "Secret") => ConfigDataValidation.Secret(obj, old),
        ("coordination.k8s.io", "Lease") => LeaseValidation.Validate(obj),
        ("", "Service") => ServiceValidation.Validate(obj, old),
        ("policy", "PodDisruptionBudget") => PodDisruptionBudgetValidation.Validate(obj),
        ("networking.k8s.io", "NetworkPolicy") => NetworkPolicyValidation.Validate(obj),
        ("", "ReplicationController") => PodSpecValidation.WorkloadTemplate(obj["spec"]?["template"], "spec.template"),
        _ => [],
    };
}
