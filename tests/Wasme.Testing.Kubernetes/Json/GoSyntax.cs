using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Json;

/// <summary>
/// Go's <c>%#v</c> of the values kube-apiserver prints in field errors (<c>Invalid value: map[string]string{...}</c>),
/// so that refusals read exactly as a real cluster's.
/// </summary>
internal static class GoSyntax
{
    /// <summary>A Go string literal, as <c>%q</c> prints it.</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when c < ' ' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    /// <summary>A <c>map[string]string</c>: nil when absent, keys sorted as fmt sorts them.</summary>
    public static string StringMap(JsonNode? map) => map is JsonObject entries
        ? "map[string]string{" + string.Join(", ", JsonNodes.StringMap(entries).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{Quote(e.Key)}:{Quote(e.Value)}")) + "}"
        : "map[string]string(nil)";

    /// <summary>A <c>[]string</c>: nil when absent.</summary>
    public static string Strings(JsonNode? list) => list is JsonArray items
        ? "[]string{" + string.Join(", ", items.Select(i => Quote(i?.ToString() ?? ""))) + "}"
        : "[]string(nil)";

    /// <summary>A <c>v1.LabelSelector</c> (the pointed-to value: field errors print what a pointer points at).</summary>
    public static string LabelSelector(JsonObject selector)
    {
        var expressions = selector["matchExpressions"] is JsonArray list
            ? "[]v1.LabelSelectorRequirement{" + string.Join(", ", list.OfType<JsonObject>().Select(e =>
                $"v1.LabelSelectorRequirement{{Key:{Quote(e.GetString("key") ?? "")}, Operator:{Quote(e.GetString("operator") ?? "")}, Values:{Strings(e["values"])}}}")) + "}"
            : "[]v1.LabelSelectorRequirement(nil)";
        return $"v1.LabelSelector{{MatchLabels:{StringMap(selector["matchLabels"])}, MatchExpressions:{expressions}}}";
    }
}
