using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation;

/// <summary>
/// apimachinery's ValidateLabelSelector and ValidateLabels: label keys and values of a selector or map, and
/// matchExpressions whose operator and values agree.
/// </summary>
internal static class LabelSelectorValidation
{
    public static IEnumerable<FieldError> Selector(JsonNode? node, string path)
    {
        if (node is not JsonObject selector)
        {
            yield break;
        }

        var index = 0;
        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var at = $"{path}.matchExpressions[{index++}]";
            var values = expression["values"] as JsonArray ?? [];
            var op = expression.GetString("operator") ?? "";
            switch (op)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        yield return Rules.Required($"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'");
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        yield return FieldError.Forbidden($"{at}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    }

                    break;
                default:
                    yield return FieldError.Invalid($"{at}.operator", op, "not a valid selector operator");
                    break;
            }

            var key = expression.GetString("key") ?? "";
            foreach (var message in ObjectMetadata.QualifiedName(key))
            {
                yield return FieldError.Invalid($"{at}.key", key, message);
            }

            for (var i = 0; i < values.Count; i++)
            {
                var value = values[i]?.ToString() ?? "";
                foreach (var message in ObjectMetadata.LabelValue(value))
                {
                    yield return FieldError.Invalid($"{at}.values[{i}]", value, message);
                }
            }
        }

        foreach (var error in Labels(selector["matchLabels"], $"{path}.matchLabels"))
        {
            yield return error;
        }
    }

    /// <summary>ValidateLabels: every error names the map, not the entry.</summary>
    public static IEnumerable<FieldError> Labels(JsonNode? labels, string path)
    {
        foreach (var (key, value) in JsonNodes.StringMap(labels))
        {
            foreach (var message in ObjectMetadata.QualifiedName(key))
            {
                yield return FieldError.Invalid(path, key, message);
            }

            foreach (var message in ObjectMetadata.LabelValue(value))
            {
                yield return FieldError.Invalid(path, value, message);
            }
        }
    }
}
