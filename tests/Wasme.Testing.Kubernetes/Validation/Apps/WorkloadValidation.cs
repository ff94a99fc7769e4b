using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Validation.Core;

namespace Wasme.Testing.Kubernetes.Validation.Apps;

/// <summary>
/// apps/v1 workloads as kube-apiserver 1.32 checks them (pkg/apis/apps/validation and the registry strategies): a
/// selector is required and not empty, it must select the pod template's labels, and it cannot change after create;
/// replicas are not negative; the pod template is a valid pod spec that restarts Always; rolling updates do not
/// stand still. Selector syntax, revisionHistoryLimit and StatefulSet volume claim templates are not checked.
/// </summary>
internal static class WorkloadValidation
{
    private const string NotMatching = "`selector` does not match template `labels`";

    public static IEnumerable<FieldError> Validate(ResourceType type, JsonObject obj, JsonObject? old)
    {
        if (type.Group != "apps")
        {
            return [];
        }

        return type.Kind switch
        {
            "Deployment" or "ReplicaSet" => ReplicaSetLike(obj, old),
            "DaemonSet" => DaemonSet(obj, old),
            "StatefulSet" => StatefulSet(obj, old),
            _ => [],
        };
    }

    private static IEnumerable<FieldError> ReplicaSetLike(JsonObject obj, JsonObject? old)
    {
        var selector = obj["spec"]?["selector"] as JsonObject;
        if (selector is null)
        {
            yield return FieldError.Required("spec.selector");
        }
        else if (IsEmpty(selector))
        {
            // ReplicaSets say "deployment" too: they share the check.
            yield return Invalid("spec.selector", GoSyntax.LabelSelector(selector), "empty selector is invalid for deployment");
        }

        if (selector is null || !IsEmpty(selector))
        {
            if (TemplateMismatch(obj, selector) is { } mismatch)
            {
                yield return mismatch;
            }
        }

        foreach (var error in Template(obj).Concat(Rules.Nonnegative(obj["spec"]?["replicas"], "spec.replicas")).Concat(DeploymentStrategy(obj)))
        {
            yield return error;
        }

        if (Immutable(obj, old) is { } changed)
        {
            yield return changed;
        }
    }

    private static IEnumerable<FieldError> Template(JsonObject obj) => PodSpecValidation.WorkloadTemplate(obj["spec"]?["template"], "spec.template");

    private static IEnumerable<FieldError> DeploymentStrategy(JsonObject obj)
    {
        if (obj["kind"]?.ToString() != "Deployment" || obj["spec"]?["strategy"] is not JsonObject strategy)
        {
            return [];
        }

        return Strategy(strategy, "spec.strategy", "Recreate", maxSurgeDefault: 25, maxUnavailableDefault: 25, pathOfZero: "spec.strategy.rollingUpdate.maxUnavailable");
    }

    /// <summary>A Deployment's strategy or a DaemonSet's update strategy; absent limits count as their defaults.</summary>
    private static IEnumerable<FieldError> Strategy(JsonObject strategy, string path, string other, long maxSurgeDefault, long maxUnavailableDefault, string pathOfZero)
    {
        var type = strategy.GetString("type") ?? "RollingUpdate";
        var rolling = strategy["rollingUpdate"] as JsonObject;
        if (type == other)
        {
            if (rolling is not null)
            {
                yield return FieldError.Forbidden($"{path}.rollingUpdate", $"may not be specified when strategy `type` is '{other}'");
            }

            yield break;
        }

        if (type != "RollingUpdate")
        {
            yield return Rules.NotSupported($"{path}.type", type, other == "Recreate" ? ["Recreate", "RollingUpdate"] : ["OnDelete", "RollingUpdate"]);
            yield break;
        }

        if (rolling is null)
        {
            yield break;
        }

        foreach (var error in Rules.IntOrPercent(rolling["maxUnavailable"], $"{path}.rollingUpdate.maxUnavailable")
            .Concat(Rules.IntOrPercent(rolling["maxSurge"], $"{path}.rollingUpdate.maxSurge")))
        {
            yield return error;
        }

        var maxUnavailable = rolling["maxUnavailable"] is { } unavailable ? Rules.IntOrPercentValue(unavailable) : maxUnavailableDefault;
        var maxSurge = rolling["maxSurge"] is { } surge ? Rules.IntOrPercentValue(surge) : maxSurgeDefault;
        if (maxUnavailable == 0 && maxSurge == 0)
        {
            yield return new FieldError(pathOfZero, "FieldValueInvalid", $"Invalid value: {Rules.IntOrString(rolling["maxUnavailable"])}: may not be 0 when `maxSurge` is 0");
        }
    }

    private static IEnumerable<FieldError> DaemonSet(JsonObject obj, JsonObject? old)
    {
        var selector = obj["spec"]?["selector"] as JsonObject;
        if (selector is null || !IsEmpty(selector))
        {
            if (TemplateMismatch(obj, selector) is { } mismatch)
            {
                yield return mismatch;
            }
        }

        if (selector is not null && IsEmpty(selector))
        {
            yield return Invalid("spec.selector", GoSyntax.LabelSelector(selector), "empty selector is invalid for daemonset");
        }

        var strategy = obj["spec"]?["updateStrategy"] as JsonObject ?? [];
        foreach (var error in Template(obj).Concat(Strategy(strategy, "spec.updateStrategy", "OnDelete", maxSurgeDefault: 0, maxUnavailableDefault: 1, pathOfZero: "spec.updateStrategy.rollingUpdate.maxUnavailable")))
        {
            yield return error;
        }

        if (Immutable(obj, old) is { } changed)
        {
            yield return changed;
        }
    }

    private static IEnumerable<FieldError> StatefulSet(JsonObject obj, JsonObject? old)
    {
        var selector = obj["spec"]?["selector"] as JsonObject;
        if (selector is null)
        {
            yield return FieldError.Required("spec.selector");
        }
        else if (IsEmpty(selector))
        {
            yield return Invalid("spec.selector", GoSyntax.LabelSelector(selector), "empty selector is invalid for statefulset");
        }

        // A nil selector selects nothing, so only an empty one skips the match.
        if (selector is null || !IsEmpty(selector))
        {
            if (TemplateMismatch(obj, selector) is { } mismatch)
            {
                yield return mismatch;
            }
        }

        foreach (var error in Template(obj).Concat(Rules.Nonnegative(obj["spec"]?["replicas"], "spec.replicas")))
        {
            yield return error;
        }

        // Only replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds may
        // change. Fields the real server defaults are not compared: this server does not default them.
        if (old is not null && (!SameSelector(obj, old) || !SemanticEqual(obj["spec"]?["serviceName"], old["spec"]?["serviceName"])))
        {
            yield return FieldError.Forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
    }

    private static FieldError? TemplateMismatch(JsonObject obj, JsonObject? selector)
    {
        var labels = obj["spec"]?["template"]?["metadata"]?["labels"];
        return selector is not null && Matches(selector, JsonNodes.StringMap(labels))
            ? null
            : Invalid("spec.template.metadata.labels", GoSyntax.StringMap(labels), NotMatching);
    }

    // apps/v1 refuses any change of the selector (extensions/v1beta1 allowed it; this server does not serve that).
    private static FieldError? Immutable(JsonObject obj, JsonObject? old)
    {
        if (old is null || SameSelector(obj, old))
        {
            return null;
        }

        var selector = obj["spec"]?["selector"] as JsonObject;
        return selector is null
            ? new FieldError("spec.selector", "FieldValueInvalid", "Invalid value: \"null\": field is immutable")
            : Invalid("spec.selector", GoSyntax.LabelSelector(selector), "field is immutable");
    }

    private static bool SameSelector(JsonObject obj, JsonObject old) => SemanticEqual(obj["spec"]?["selector"], old["spec"]?["selector"]);

    private static bool IsEmpty(JsonObject selector) =>
        (selector["matchLabels"] as JsonObject)?.Count is null or 0 && (selector["matchExpressions"] as JsonArray)?.Count is null or 0;

    private static bool Matches(JsonObject selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in JsonNodes.StringMap(selector["matchLabels"]))
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var present = labels.TryGetValue(expression.GetString("key") ?? "", out var actual);
            var values = (expression["values"] as JsonArray ?? []).Select(v => v?.ToString()).ToList();
            var matched = expression.GetString("operator") switch
            {
                "In" => present && values.Contains(actual),
                "NotIn" => !present || !values.Contains(actual),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!matched)
            {
                return false;
            }
        }

        return true;
    }

    // apimachinery's semantic equality: an empty map or list equals an absent one.
    private static bool SemanticEqual(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Normalize(a), Normalize(b));

    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        null or JsonObject { Count: 0 } or JsonArray { Count: 0 } => null,
        JsonObject map => Rebuild(map),
        JsonArray list => new JsonArray(list.Select(Normalize).ToArray()),
        JsonValue value when value.GetValueKind() is JsonValueKind.Null || (value.GetValueKind() is JsonValueKind.String && value.GetValue<string>().Length == 0) => null,
        _ => node.DeepClone(),
    };

    private static JsonObject? Rebuild(JsonObject map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map)
        {
            if (Normalize(value) is { } kept)
            {
                result[key] = kept;
            }
        }

        return result.Count == 0 ? null : result;
    }

    private static FieldError Invalid(string field, string goValue, string why) => new(field, "FieldValueInvalid", $"Invalid value: {goValue}: {why}");
}
