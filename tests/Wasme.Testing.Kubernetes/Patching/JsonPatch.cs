using System.Globalization;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;

namespace Wasme.Testing.Kubernetes.Patching;

/// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test) over RFC 6901 pointers.</summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document.DeepClone() };
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op || op["op"]?.GetValue<string>() is not { } kind || op["path"]?.GetValue<string>() is not { } path)
            {
                throw Rejected();
            }

            switch (kind)
            {
                case "add":
                    Add(root, path, Value(op));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, Value(op));
                    break;
                case "move":
                    var moved = Remove(root, From(op));
                    Add(root, path, moved);
                    break;
                case "copy":
                    Add(root, path, Resolve(root, From(op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(root, path), op["value"]))
                    {
                        throw Rejected();
                    }

                    break;
                default:
                    throw Rejected();
            }
        }

        return root["doc"]!.DeepClone();
    }

    private static JsonNode? Value(JsonObject op) =>
        op.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw Rejected();

    private static string From(JsonObject op) =>
        op["from"]?.GetValue<string>() ?? throw Rejected();

    private static (JsonNode Parent, string Token) Parent(JsonObject root, string path)
    {
        var tokens = Tokens(path);
        JsonNode current = root;
        var slot = "doc";
        foreach (var token in tokens)
        {
            current = Child(current, slot) ?? throw Rejected();
            slot = token;
        }

        return (current, slot);
    }

    private static JsonNode? Resolve(JsonObject root, string path)
    {
        var (parent, token) = Parent(root, path);
        return Child(parent, token);
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (parent, token) = Parent(root, path);
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array when token == "-":
                array.Add(value);
                break;
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= array.Count:
                array.Insert(index, value);
                break;
            default:
                throw Rejected();
        }
    }

    private static JsonNode? Remove(JsonObject root, string path)
    {
        var (parent, token) = Parent(root, path);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                var value = obj[token];
                obj.Remove(token);
                return value;
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count:
                var item = array[index];
                array.RemoveAt(index);
                return item;
            default:
                throw Rejected();
        }
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject obj => obj[token],
        JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
        _ => null,
    };

    private static string[] Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw Rejected();
        }

        return path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>
    /// kube-apiserver answers every failure to apply a JSON patch (missing path or value, failed test, unknown op) with
    /// a generic 422 that drops the patch library's detail; kubectl prints "The request is invalid: " before it.
    /// </summary>
    private static ApiException Rejected() => new(422, "Invalid", "the server rejected our request due to an error in our request");
}
