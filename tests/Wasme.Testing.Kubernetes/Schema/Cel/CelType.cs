using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Schema.Cel;

/// <summary>
/// The CEL type kube-apiserver declares for a schema node (apiserver's SchemaDeclType): what a rule's
/// <c>self</c> is. A node without one (untyped, even with x-kubernetes-preserve-unknown-fields) cannot carry rules.
/// </summary>
internal sealed partial record CelType(string Name, IReadOnlyDictionary<string, CelType>? Fields = null, CelType? Element = null)
{
    public static readonly CelType Dyn = new("dyn");
    public static readonly CelType String = new("string");
    public static readonly CelType Int = new("int");
    public static readonly CelType Double = new("double");
    public static readonly CelType Bool = new("bool");

    private static readonly HashSet<string> Reserved =
    [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ];

    public bool IsObject => Name == "object";

    /// <summary>Null where kube-apiserver declares no type, so rules there cannot compile.</summary>
    public static CelType? Of(JsonObject schema, bool isResourceRoot)
    {
        if (IsTrue(schema["x-kubernetes-int-or-string"]))
        {
            return Dyn;
        }

        switch (schema.GetString("type"))
        {
            case "array":
                return schema["items"] is JsonObject items && Of(items, IsTrue(items["x-kubernetes-embedded-resource"])) is { } element
                    ? new CelType("list", Element: element)
                    : null;
            case "object":
                if (schema["additionalProperties"] is JsonObject additional)
                {
                    return Of(additional, IsTrue(additional["x-kubernetes-embedded-resource"])) is { } value ? new CelType("map", Element: value) : null;
                }

                var fields = new Dictionary<string, CelType>(StringComparer.Ordinal);
                foreach (var (name, property) in schema["properties"] as JsonObject ?? [])
                {
                    if (property is JsonObject p && Of(p, IsTrue(p["x-kubernetes-embedded-resource"])) is { } type && Escape(name) is { } escaped)
                    {
                        fields[escaped] = type;
                    }
                }

                if (isResourceRoot)
                {
                    // apiVersion, kind and metadata.name/generateName are always visible at a resource's root.
                    fields["apiVersion"] = String;
                    fields["kind"] = String;
                    fields["metadata"] = new CelType("object", new Dictionary<string, CelType> { ["name"] = String, ["generateName"] = String });
                }

                return new CelType("object", fields);
            case "string":
                return schema.GetString("format") switch
                {
                    "byte" => new CelType("bytes"),
                    "duration" => new CelType("duration"),
                    "date" or "date-time" => new CelType("timestamp"),
                    _ => String,
                };
            case "boolean":
                return Bool;
            case "number":
                return Double;
            case "integer":
                return Int;
            default:
                return null;
        }
    }

    /// <summary>How a property name is spelled in CEL (<c>a-b</c> is <c>a__dash__b</c>), or null when it cannot be.</summary>
    public static string? Escape(string name)
    {
        if (Reserved.Contains(name))
        {
            return $"__{name}__";
        }

        if (!EscapableName().IsMatch(name))
        {
            return null;
        }

        return name.Replace("__", "__underscores__", StringComparison.Ordinal)
            .Replace(".", "__dot__", StringComparison.Ordinal)
            .Replace("-", "__dash__", StringComparison.Ordinal)
            .Replace("/", "__slash__", StringComparison.Ordinal);
    }

    public override string ToString() => Name;

    private static bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_./-]*$")]
    private static partial Regex EscapableName();
}
