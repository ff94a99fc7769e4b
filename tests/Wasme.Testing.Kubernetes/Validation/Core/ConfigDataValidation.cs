using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation.Core;

/// <summary>
/// ConfigMaps and Secrets as kube-apiserver 1.32 judges them (ValidateConfigMap, ValidateSecret and their updates):
/// key names, the 1 MiB total, data/binaryData collisions, a Secret's type that never changes, and
/// <c>immutable: true</c> objects that keep their data.
/// </summary>
internal static partial class ConfigDataValidation
{
    private const int MaxSize = 1024 * 1024;

    public static IEnumerable<FieldError> ConfigMap(JsonObject obj, JsonObject? old)
    {
        var data = obj["data"] as JsonObject ?? [];
        var binary = obj["binaryData"] as JsonObject ?? [];
        long size = 0;
        foreach (var (key, value) in data)
        {
            foreach (var message in Key(key))
            {
                yield return FieldError.Invalid($"data[{key}]", key, message);
            }

            if (binary.ContainsKey(key))
            {
                yield return FieldError.Invalid($"data[{key}]", key, "duplicate of key present in binaryData");
            }

            size += Encoding.UTF8.GetByteCount(value?.ToString() ?? "");
        }

        foreach (var (key, value) in binary)
        {
            foreach (var message in Key(key))
            {
                yield return FieldError.Invalid($"binaryData[{key}]", key, message);
            }

            if (data.ContainsKey(key))
            {
                yield return FieldError.Invalid($"binaryData[{key}]", key, "duplicate of key present in data");
            }

            size += DecodedLength(value);
        }

        if (size > MaxSize)
        {
            yield return TooLong("");
        }

        foreach (var error in Immutable(obj, old, "data", "binaryData"))
        {
            yield return error;
        }
    }

    public static IEnumerable<FieldError> Secret(JsonObject obj, JsonObject? old)
    {
        var data = obj["data"] as JsonObject ?? [];
        long size = 0;
        foreach (var (key, value) in data)
        {
            foreach (var message in Key(key))
            {
                yield return FieldError.Invalid($"data[{key}]", key, message);
            }

            size += DecodedLength(value);
        }

        if (size > MaxSize)
        {
            yield return TooLong("data");
        }

        var type = obj["type"]?.ToString() ?? "Opaque";
        if (type == "kubernetes.io/dockerconfigjson" && !data.ContainsKey(".dockerconfigjson"))
        {
            yield return FieldError.Required("data[.dockerconfigjson]");
        }

        if (old is not null)
        {
            if (type != (old["type"]?.ToString() ?? "Opaque"))
            {
                yield return FieldError.Invalid("type", type, "field is immutable");
            }

            foreach (var error in Immutable(obj, old, "data"))
            {
                yield return error;
            }
        }
    }

    /// <summary>IsConfigMapKey: what a key of a ConfigMap or Secret may be (it becomes a file name in a volume).</summary>
    private static IEnumerable<string> Key(string key)
    {
        if (Encoding.UTF8.GetByteCount(key) > 253)
        {
            yield return ObjectMetadata.MaxLength(253);
        }

        if (!KeyPattern().IsMatch(key))
        {
            yield return ObjectMetadata.RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name");
        }

        if (key is "." or "..")
        {
            yield return $"must not be '{key}'";
        }
        else if (key.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }

    private static IEnumerable<FieldError> Immutable(JsonObject obj, JsonObject? old, params string[] fields)
    {
        if (old?["immutable"]?.ToString() is not ("true" or "True"))
        {
            yield break;
        }

        if (obj["immutable"]?.ToString() is not ("true" or "True"))
        {
            yield return FieldError.Forbidden("immutable", "field is immutable when `immutable` is set");
        }

        foreach (var field in fields)
        {
            if (!JsonNode.DeepEquals(Empty(obj[field]), Empty(old[field])))
            {
                yield return FieldError.Forbidden(field, "field is immutable when `immutable` is set");
            }
        }
    }

    private static JsonNode? Empty(JsonNode? node) => node is JsonObject { Count: 0 } ? null : node;

    private static long DecodedLength(JsonNode? value)
    {
        var text = value?.ToString() ?? "";
        var padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        return (text.Length / 4 * 3) - padding;
    }

    private static FieldError TooLong(string field) => new(field, "FieldValueTooLong", $"Too long: may not be more than {MaxSize} bytes");

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex KeyPattern();
}
