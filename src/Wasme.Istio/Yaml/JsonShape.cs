using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wasme.Istio.Yaml;

/// <summary>Names the shape of a YAML/JSON value the way a user reads it in a message ("is a list").</summary>
internal static class JsonShape
{
    public static string Describe(JsonNode? node) => node is null ? "null" : node.GetValueKind() switch
    {
        JsonValueKind.Object => "mapping",
        JsonValueKind.Array => "list",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    /// <summary>The text of a string value; null when the node is absent or not a string.</summary>
    public static string? AsString(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
