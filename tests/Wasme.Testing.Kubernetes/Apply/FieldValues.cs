using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Apply;

/// <summary>JSON text of values as Go writes them in field paths and annotations: compact, object keys sorted.</summary>
internal static class FieldValues
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Json(JsonNode? value) => value is null ? "null" : Sorted(value)!.ToJsonString(Compact);

    private static JsonNode? Sorted(JsonNode? value) => value switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sorted).ToArray()),
        null => null,
        _ => value.DeepClone(),
    };
}
