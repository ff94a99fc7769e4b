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
    /// <summary>
    /// What fails the decode of a built-in object before any validation (a 400 for the whole object): a resource quantity
    /// the Go type cannot hold. Quantities sit in containers' resources, pod overhead and emptyDir size limits.
    /// </summary>
    /// <param name="type">The object's resource.</param>
    /// <param name="obj">The object as sent.</param>
    public static string? DecodeError(ResourceType type, JsonObject obj) =>
        type.Group is "" or "apps" or "batch" ? FirstBadQuantity(obj, parentKey: null) : null;

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

    private static string? FirstBadQuantity(JsonNode? node, string? parentKey)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (key, child) in map)
                {
                    var quantities = (parentKey == "resources" && key is "limits" or "requests") || (parentKey == "spec" && key == "overhead");
                    if (quantities && child is JsonObject values)
                    {
                        foreach (var (_, value) in values)
                        {
                            if (Bad(value) is { } error)
                            {
                                return error;
                            }
                        }
                    }
                    else if (parentKey == "emptyDir" && key == "sizeLimit" && Bad(child) is { } error)
                    {
                        return error;
                    }
                    else if (FirstBadQuantity(child, key) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            case JsonArray list:
                return list.Select(item => FirstBadQuantity(item, parentKey)).FirstOrDefault(error => error is not null);
            default:
                return null;
        }

        static string? Bad(JsonNode? value) =>
            value is JsonValue scalar && scalar.GetValueKind() == System.Text.Json.JsonValueKind.String ? Quantity.TryParse(scalar.GetValue<string>(), out _) : null;
    }
}
