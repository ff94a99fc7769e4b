using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Validation.Policy;

/// <summary>policy/v1 PodDisruptionBudgets as kube-apiserver 1.32's ValidatePodDisruptionBudgetSpec judges them.</summary>
internal static class PodDisruptionBudgetValidation
{
    private static readonly string[] EvictionPolicies = ["AlwaysAllow", "IfHealthyBudget"];

    public static IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        if (spec["minAvailable"] is not null && spec["maxUnavailable"] is not null)
        {
            // The spec prints as a Go struct; its pointers as addresses.
            string Pointer(string type, JsonNode? value) => value is null ? $"(*{type})(nil)" : $"(*{type})(0xc000a1b2d0)";
            yield return new FieldError("spec", "FieldValueInvalid",
                $"Invalid value: policy.PodDisruptionBudgetSpec{{MinAvailable:{Pointer("intstr.IntOrString", spec["minAvailable"])}, Selector:{Pointer("v1.LabelSelector", spec["selector"])}, MaxUnavailable:{Pointer("intstr.IntOrString", spec["maxUnavailable"])}, UnhealthyPodEvictionPolicy:{Pointer("policy.UnhealthyPodEvictionPolicyType", spec["unhealthyPodEvictionPolicy"])}}}: minAvailable and maxUnavailable cannot be both set");
        }

        foreach (var error in Rules.IntOrPercent(spec["minAvailable"], "spec.minAvailable")
            .Concat(Rules.IntOrPercent(spec["maxUnavailable"], "spec.maxUnavailable"))
            .Concat(LabelSelectorValidation.Selector(spec["selector"], "spec.selector")))
        {
            yield return error;
        }

        if (spec.GetString("unhealthyPodEvictionPolicy") is { } policy && !EvictionPolicies.Contains(policy))
        {
            yield return Rules.NotSupported("spec.unhealthyPodEvictionPolicy", policy, EvictionPolicies);
        }
    }
}
