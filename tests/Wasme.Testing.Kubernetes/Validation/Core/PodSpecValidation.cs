using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation.Core;

/// <summary>
/// A pod spec as kube-apiserver 1.32's ValidatePodSpec judges it (volumes, containers, init containers, restart and DNS
/// policy, node selector, security context ids, affinity weights and topology keys, service account name,
/// tolerations), and a workload's pod template (ValidatePodTemplateSpecForReplicaSet: restartPolicy Always only).
/// </summary>
internal static class PodSpecValidation
{
    private static readonly string[] RestartPolicies = ["Always", "OnFailure", "Never"];
    private static readonly string[] DnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    private static readonly string[] TaintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    /// <summary>The template of a Deployment, ReplicaSet, DaemonSet or StatefulSet at <paramref name="path"/>.</summary>
    public static IEnumerable<FieldError> WorkloadTemplate(JsonNode? template, string path)
    {
        if (template is not JsonObject pod)
        {
            yield break;
        }

        var spec = pod["spec"] as JsonObject ?? [];
        foreach (var error in Spec(spec, $"{path}.spec"))
        {
            yield return error;
        }

        if (spec.GetString("restartPolicy") is { } policy and not "Always")
        {
            yield return Rules.NotSupported($"{path}.spec.restartPolicy", policy, "Always");
        }

        if (spec["activeDeadlineSeconds"] is not null)
        {
            yield return FieldError.Forbidden($"{path}.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported");
        }
    }

    public static IEnumerable<FieldError> Spec(JsonObject spec, string path)
    {
        var (volumeErrors, volumes) = VolumeValidation.Validate(spec["volumes"] as JsonArray, $"{path}.volumes");
        foreach (var error in volumeErrors
            .Concat(ContainerValidation.Containers(spec["containers"] as JsonArray, volumes, $"{path}.containers"))
            .Concat(ContainerValidation.InitContainers(spec["initContainers"] as JsonArray, spec["containers"] as JsonArray, volumes, $"{path}.initContainers")))
        {
            yield return error;
        }

        if (spec.GetString("restartPolicy") is { } restart && !RestartPolicies.Contains(restart))
        {
            yield return Rules.NotSupported($"{path}.restartPolicy", restart, RestartPolicies);
        }

        if (spec.GetString("dnsPolicy") is { } dns && !DnsPolicies.Contains(dns))
        {
            yield return Rules.NotSupported($"{path}.dnsPolicy", dns, DnsPolicies);
        }

        foreach (var (key, value) in JsonNodes.StringMap(spec["nodeSelector"]))
        {
            foreach (var message in ObjectMetadata.QualifiedName(key))
            {
                yield return FieldError.Invalid($"{path}.nodeSelector", key, message);
            }

            foreach (var message in ObjectMetadata.LabelValue(value))
            {
                yield return FieldError.Invalid($"{path}.nodeSelector", value, message);
            }
        }

        foreach (var error in SecurityContextIds(spec["securityContext"] as JsonObject, $"{path}.securityContext")
            .Concat(Affinity(spec["affinity"] as JsonObject, $"{path}.affinity")))
        {
            yield return error;
        }

        if (spec.GetString("serviceAccountName") is { Length: > 0 } account)
        {
            foreach (var message in ObjectMetadata.Dns1123Subdomain(account))
            {
                yield return FieldError.Invalid($"{path}.serviceAccountName", account, message);
            }
        }

        foreach (var error in Tolerations(spec["tolerations"] as JsonArray, $"{path}.tolerations"))
        {
            yield return error;
        }

        if (Values.Long(spec["terminationGracePeriodSeconds"]) is < 0 and var grace)
        {
            yield return Rules.Invalid($"{path}.terminationGracePeriodSeconds", grace, Rules.Negative);
        }
    }

    /// <summary>runAsUser and runAsGroup of a pod's or container's security context.</summary>
    public static IEnumerable<FieldError> SecurityContextIds(JsonObject? context, string path)
    {
        foreach (var field in new[] { "runAsUser", "runAsGroup" })
        {
            if (Values.Long(context?[field]) is { } id && id is < 0 or > int.MaxValue)
            {
                yield return Rules.Invalid($"{path}.{field}", id, "must be between 0 and 2147483647, inclusive");
            }
        }
    }

    private static IEnumerable<FieldError> Affinity(JsonObject? affinity, string path)
    {
        foreach (var kind in new[] { "podAffinity", "podAntiAffinity" })
        {
            if (affinity?[kind] is not JsonObject terms)
            {
                continue;
            }

            var index = 0;
            foreach (var term in (terms["requiredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var error in AffinityTerm(term, $"{path}.{kind}.requiredDuringSchedulingIgnoredDuringExecution[{index++}]"))
                {
                    yield return error;
                }
            }

            index = 0;
            foreach (var weighted in (terms["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var at = $"{path}.{kind}.preferredDuringSchedulingIgnoredDuringExecution[{index++}]";
                var weight = Values.Long(weighted["weight"]) ?? 0;
                if (weight is <= 0 or > 100)
                {
                    yield return Rules.Invalid($"{at}.weight", weight, "must be in the range 1-100");
                }

                foreach (var error in AffinityTerm(weighted["podAffinityTerm"] as JsonObject ?? [], $"{at}.podAffinityTerm"))
                {
                    yield return error;
                }
            }
        }
    }

    private static IEnumerable<FieldError> AffinityTerm(JsonObject term, string at)
    {
        var topologyKey = term.GetString("topologyKey") ?? "";
        if (topologyKey.Length == 0)
        {
            yield return Rules.Required($"{at}.topologyKey", "can not be empty");
        }

        foreach (var message in topologyKey.Length == 0 ? [] : ObjectMetadata.QualifiedName(topologyKey))
        {
            yield return FieldError.Invalid($"{at}.topologyKey", topologyKey, message);
        }
    }

    private static IEnumerable<FieldError> Tolerations(JsonArray? tolerations, string path)
    {
        var index = 0;
        foreach (var toleration in (tolerations ?? []).OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            var key = toleration.GetString("key") ?? "";
            var op = toleration.GetString("operator") ?? "";
            var value = toleration.GetString("value") ?? "";
            var effect = toleration.GetString("effect") ?? "";
            foreach (var message in key.Length == 0 ? [] : ObjectMetadata.QualifiedName(key))
            {
                yield return FieldError.Invalid($"{at}.key", key, message);
            }

            if (key.Length == 0 && op != "Exists")
            {
                yield return FieldError.Invalid($"{at}.operator", op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
            }

            if (toleration["tolerationSeconds"] is not null && effect != "NoExecute")
            {
                yield return FieldError.Invalid($"{at}.effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
            }

            switch (op)
            {
                case "" or "Equal":
                    if (ObjectMetadata.LabelValue(value).ToList() is { Count: > 0 } messages)
                    {
                        yield return FieldError.Invalid($"{at}.operator", value, string.Join(";", messages));
                    }

                    break;
                case "Exists":
                    if (value.Length > 0)
                    {
                        yield return new FieldError($"{at}.operator", "FieldValueInvalid", $"Invalid value: core.Toleration{{Key:{GoSyntax.Quote(key)}, Operator:{GoSyntax.Quote(op)}, Value:{GoSyntax.Quote(value)}, Effect:{GoSyntax.Quote(effect)}, TolerationSeconds:{(toleration["tolerationSeconds"] is null ? "(*int64)(nil)" : "(*int64)(0xc000a1b2c8)")}}}: value must be empty when `operator` is 'Exists'");
                    }

                    break;
                default:
                    yield return Rules.NotSupported($"{at}.operator", op, "Equal", "Exists");
                    break;
            }

            if (effect.Length > 0 && !TaintEffects.Contains(effect))
            {
                yield return Rules.NotSupported($"{at}.effect", effect, TaintEffects);
            }
        }
    }
}
