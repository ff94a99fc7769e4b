using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Json;

/// <summary>Small accessors for Kubernetes objects held as JSON.</summary>
internal static class JsonNodes
{
    public static JsonObject Metadata(this JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string? GetString(this JsonObject obj, string property) =>
        obj[property] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static string Name(this JsonObject obj) => obj["metadata"] is JsonObject m ? m.GetString("name") ?? "" : "";

    public static string Namespace(this JsonObject obj) => obj["metadata"] is JsonObject m ? m.GetString("namespace") ?? "" : "";

    public static string Uid(this JsonObject obj) => obj["metadata"] is JsonObject m ? m.GetString("uid") ?? "" : "";

    public static string? ResourceVersion(this JsonObject obj) => obj["metadata"] is JsonObject m ? m.GetString("resourceVersion") : null;

    public static IReadOnlyDictionary<string, string> Labels(this JsonObject obj) => StringMap(obj["metadata"]?["labels"]);

    public static IReadOnlyList<string> Finalizers(this JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray array
            ? array.Select(f => f?.GetValueKind() == JsonValueKind.String ? f.GetValue<string>() : "").ToList()
            : [];

    public static bool IsBeingDeleted(this JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    result[key] = v.GetValue<string>();
                }
            }
        }

        return result;
    }

    /// <summary>Follows a dotted path (<c>status.phase</c>) and renders a scalar as text; null when absent.</summary>
    public static JsonNode? Select(this JsonNode? node, string dottedPath)
    {
        foreach (var part in dottedPath.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonObject obj ? obj[part] : null;
        }

        return node;
    }

    public static string? AsText(this JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    public static JsonObject CloneObject(this JsonObject obj) => (JsonObject)obj.DeepClone();

    public static bool DeepEqualsTo(this JsonNode? left, JsonNode? right) => JsonNode.DeepEquals(left, right);
}
