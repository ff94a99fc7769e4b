using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Wasme.Istio.Schema;

/// <summary>
/// Turns a Kubernetes structural OpenAPI v3 schema (a CRD's <c>openAPIV3Schema</c>) into JSON Schema 2020-12, so
/// that manifests can be checked offline the way the API server checks them.
/// <list type="bullet">
/// <item><c>nullable</c> adds <c>null</c> to the type; <c>x-kubernetes-int-or-string</c> allows integer or string.</item>
/// <item>With <c>rejectUnknownFields</c>, objects with <c>properties</c> reject other fields, as <c>kubectl apply</c>'s
/// strict field validation does, unless <c>x-kubernetes-preserve-unknown-fields</c> is set.</item>
/// <item>CEL rules of the form <c>type(self) == string || type(self) == map</c> become a type list; other CEL rules
/// need a CEL engine and are left to the API server.</item>
/// <item>An untyped node (<c>x-kubernetes-preserve-unknown-fields</c>) whose bounds no array (<c>minItems</c> above
/// <c>maxItems</c>), number (<c>minimum</c> above <c>maximum</c>) or boolean (<c>not: {enum: [true, false]}</c>) can
/// meet becomes a type list of what is left, so a wrong shape gets one problem with the field's description.</item>
/// <item><c>format</c> and <c>default</c> are annotations here (defaults are applied by the API server, not checked).</item>
/// </list>
/// </summary>
public static partial class OpenApiSchemaConverter
{
    private static readonly string[] CopiedKeywords =
    [
        "type", "enum", "required", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "multipleOf", "description",
    ];

    public static JsonObject ToJsonSchema(JsonObject openApi, bool rejectUnknownFields)
    {
        ArgumentNullException.ThrowIfNull(openApi);
        var schema = Convert(openApi, rejectUnknownFields);

        // Every object carries these; the API server accepts them whether or not the CRD lists them.
        if (schema["properties"] is JsonObject root)
        {
            root.TryAdd("apiVersion", new JsonObject { ["type"] = "string" });
            root.TryAdd("kind", new JsonObject { ["type"] = "string" });
            root.TryAdd("metadata", new JsonObject { ["type"] = "object" });
        }

        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        return schema;
    }

    private static JsonObject Convert(JsonObject source, bool strict)
    {
        var target = new JsonObject();
        foreach (var keyword in CopiedKeywords)
        {
            if (source[keyword] is { } value)
            {
                // OpenAPI 3.0 uses booleans for exclusive bounds; JSON Schema 2020-12 uses numbers.
                if (keyword is "exclusiveMinimum" or "exclusiveMaximum")
                {
                    continue;
                }

                target[keyword] = value.DeepClone();
            }
        }

        if (source["exclusiveMinimum"] is JsonValue exMin && exMin.GetValue<bool>() && source["minimum"] is { } min)
        {
            target.Remove("minimum");
            target["exclusiveMinimum"] = min.DeepClone();
        }

        if (source["exclusiveMaximum"] is JsonValue exMax && exMax.GetValue<bool>() && source["maximum"] is { } max)
        {
            target.Remove("maximum");
            target["exclusiveMaximum"] = max.DeepClone();
        }

        if (IsTrue(source, "x-kubernetes-int-or-string"))
        {
            target["type"] = new JsonArray("integer", "string");
        }

        if (source["x-kubernetes-validations"] is JsonArray rules)
        {
            foreach (var rule in rules.OfType<JsonObject>())
            {
                if (TypeRule(rule["rule"]?.GetValue<string>()) is { } types)
                {
                    target["type"] = types;
                    if (rule["message"] is { } message)
                    {
                        target["description"] = message.DeepClone();
                    }
                }
            }
        }

        if (source["type"] is null && IsTrue(source, "x-kubernetes-preserve-unknown-fields") && ShapesLeft(source) is { } shapes)
        {
            target["type"] = shapes;
            foreach (var bound in new[] { "minItems", "maxItems", "minimum", "maximum" })
            {
                target.Remove(bound);
            }

            source = (JsonObject)source.DeepClone();
            source.Remove("not");
        }

        if (IsTrue(source, "nullable") && target["type"] is JsonValue single)
        {
            target["type"] = new JsonArray(single.GetValue<string>(), "null");
        }

        var preserveUnknown = IsTrue(source, "x-kubernetes-preserve-unknown-fields");
        if (source["properties"] is JsonObject properties)
        {
            var converted = new JsonObject();
            foreach (var (name, property) in properties)
            {
                if (property is JsonObject p)
                {
                    converted[name] = Convert(p, strict);
                }
            }

            target["properties"] = converted;
        }

        switch (source["additionalProperties"])
        {
            case JsonObject additional:
                target["additionalProperties"] = Convert(additional, strict);
                break;
            case JsonValue flag:
                target["additionalProperties"] = flag.DeepClone();
                break;
            default:
                if (strict && !preserveUnknown && source["properties"] is not null)
                {
                    target["additionalProperties"] = false;
                }

                break;
        }

        if (source["items"] is JsonObject items)
        {
            target["items"] = Convert(items, strict);
        }

        foreach (var combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (source[combinator] is JsonArray list)
            {
                target[combinator] = new JsonArray(list.OfType<JsonObject>().Select(s => (JsonNode)Convert(s, strict)).ToArray());
            }
        }

        if (source["not"] is JsonObject not)
        {
            target["not"] = Convert(not, strict);
        }

        return target;
    }

    // The JSON types an untyped node's value validations still admit, or null when they exclude none.
    private static JsonArray? ShapesLeft(JsonObject source)
    {
        // Parsed YAML holds long or double values, parsed JSON a JsonElement: the JSON text reads the same for all.
        static double? Number(JsonNode? node) => node?.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;
        var noArrays = Number(source["minItems"]) > Number(source["maxItems"]);
        var noNumbers = Number(source["minimum"]) > Number(source["maximum"]);
        var noBooleans = source["not"] is JsonObject { Count: 1 } not && not["enum"] is JsonArray values
            && values.Any(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.True)
            && values.Any(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.False);
        if (!noArrays && !noNumbers && !noBooleans)
        {
            return null;
        }

        var left = new JsonArray();
        foreach (var (type, excluded) in new[] { ("string", false), ("object", false), ("array", noArrays), ("number", noNumbers), ("boolean", noBooleans) })
        {
            if (!excluded)
            {
                left.Add((JsonNode)JsonValue.Create(type));
            }
        }

        return left;
    }

    private static bool IsTrue(JsonObject source, string key) => source[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static JsonArray? TypeRule(string? rule)
    {
        if (rule is null || !TypeRulePattern().IsMatch(rule))
        {
            return null;
        }

        var types = new JsonArray();
        foreach (Match match in TypeTermPattern().Matches(rule))
        {
            var jsonType = match.Groups["type"].Value switch
            {
                "string" => "string",
                "map" => "object",
                "list" => "array",
                "int" or "uint" => "integer",
                "double" => "number",
                "bool" => "boolean",
                _ => null,
            };
            if (jsonType is null)
            {
                return null;
            }

            types.Add((JsonNode)JsonValue.Create(jsonType));
        }

        return types;
    }

    [GeneratedRegex(@"^\s*type\(self\)\s*==\s*\w+(\s*\|\|\s*type\(self\)\s*==\s*\w+)*\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex TypeRulePattern();

    [GeneratedRegex(@"type\(self\)\s*==\s*(?<type>\w+)", RegexOptions.CultureInvariant)]
    private static partial Regex TypeTermPattern();
}
