using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Validation.Coordination;

/// <summary>coordination.k8s.io/v1 Leases as kube-apiserver 1.32's ValidateLeaseSpec judges them.</summary>
internal static class LeaseValidation
{
    public static IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        if (Values.Long(spec["leaseDurationSeconds"]) is <= 0 and var duration)
        {
            yield return Rules.Invalid("spec.leaseDurationSeconds", duration, "must be greater than 0");
        }

        if (Values.Long(spec["leaseTransitions"]) is < 0 and var transitions)
        {
            yield return Rules.Invalid("spec.leaseTransitions", transitions, Rules.Negative);
        }

        if (spec.GetString("preferredHolder") is { Length: > 0 } && spec.GetString("strategy") is null or "")
        {
            yield return FieldError.Forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined");
        }
    }
}
