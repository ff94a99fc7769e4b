using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Schema;

/// <summary>
/// A CRD's openAPIV3Schema applied the way kube-apiserver applies it on every write: prune unknown fields
/// (unless x-kubernetes-preserve-unknown-fields), drop nulls that are not nullable, apply defaults, then validate.
/// Written here rather than with a general JSON Schema library because the Kubernetes dialect
/// (int-or-string, preserve-unknown-fields, nullable, pruning, defaulting) is the part that matters.
/// </summary>
public sealed class StructuralSchema
{
    private static readonly string[] RootFields = ["apiVersion", "kind", "metadata"];
    private readonly JsonObject _root;

    private StructuralSchema(JsonObject root)
    {
        _root = root;
    }

    /// <summary>The openAPIV3Schema itself (server-side apply reads its list and map types).</summary>
    internal JsonObject Root => _root;

    public static StructuralSchema Parse(JsonObject openApiV3Schema) => new((JsonObject)openApiV3Schema.DeepClone());

    /// <summary>Prunes and defaults <paramref name="obj"/> in place; returns the paths of the unknown fields removed.</summary>
    public IReadOnlyList<string> PruneAndDefault(JsonObject obj)
    {
        var unknown = new List<string>();
        foreach (var (key, _) in obj.ToList())
        {
            if (RootFields.Contains(key))
            {
                continue;
            }

            var child = Property(_root, key);
            if (child is null && !PreservesUnknown(_root))
            {
                obj.Remove(key);
                unknown.Add(key);
                continue;
            }

            if (child is not null)
            {
                Prune(obj, key, child, key, unknown);
            }
        }

        Default(obj, _root, isRoot: true);
        return unknown;
    }

    /// <summary>Validates everything but metadata, which the server checks itself.</summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj)
    {
        var errors = new List<FieldError>();
        foreach (var name in Strings(_root["required"]))
        {
            if (!RootFields.Contains(name) && obj[name] is null)
            {
                errors.Add(FieldError.Required(name));
            }
        }

        if (_root["properties"] is JsonObject properties)
        {
            foreach (var (name, schema) in properties)
            {
                if (!RootFields.Contains(name) && obj.TryGetPropertyValue(name, out var value) && schema is JsonObject s)
                {
                    Check(value, s, name, errors);
                }
            }
        }

        return errors;
    }

    private static void Prune(JsonNode parent, object slot, JsonObject schema, string path, List<string> unknown)
    {
        var node = slot is string key ? ((JsonObject)parent)[key] : ((JsonArray)parent)[(int)slot];
        if (node is null)
        {
            if (!IsTrue(schema["nullable"]) && schema["default"] is null && slot is string name)
            {
                ((JsonObject)parent).Remove(name);
            }

            return;
        }

        if (node is JsonObject obj)
        {
            if (IsTrue(schema["x-kubernetes-embedded-resource"]))
            {
                return;
            }

            var additional = schema["additionalProperties"];
            foreach (var (childKey, _) in obj.ToList())
            {
                var childPath = $"{path}.{childKey}";
                if (Property(schema, childKey) is { } childSchema)
                {
                    Prune(obj, childKey, childSchema, childPath, unknown);
                }
                else if (additional is JsonObject additionalSchema)
                {
                    Prune(obj, childKey, additionalSchema, childPath, unknown);
                }
                else if (!IsTrue(additional) && !PreservesUnknown(schema))
                {
                    obj.Remove(childKey);
                    unknown.Add(childPath);
                }
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Prune(array, i, items, $"{path}[{i}]", unknown);
            }
        }
    }

    private static void Default(JsonNode? node, JsonObject schema, bool isRoot = false)
    {
        switch (node)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, propertySchema) in properties)
                    {
                        if (isRoot && RootFields.Contains(name) || propertySchema is not JsonObject ps)
                        {
                            continue;
                        }

                        if (obj[name] is null && ps["default"] is { } defaultValue && !(obj.ContainsKey(name) && IsTrue(ps["nullable"])))
                        {
                            obj[name] = defaultValue.DeepClone();
                        }

                        Default(obj[name], ps);
                    }
                }

                if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, value) in obj)
                    {
                        Default(value, additional);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    Default(item, items);
                }

                break;
        }
    }

    private static void Check(JsonNode? node, JsonObject schema, string path, List<FieldError> errors)
    {
        if (node is null)
        {
            if (!IsTrue(schema["nullable"]) && schema["type"] is not null)
            {
                errors.Add(TypeError(path, schema.GetString("type")!, "null"));
            }

            return;
        }

        // kube-openapi runs every validator that applies to the value's Go kind and keeps all their errors, in this order:
        // type, the combinators, string, format, number, slice, enum, object (validate.SchemaValidator).
        CheckType(node, schema, path, errors);
        CheckCombinators(node, schema, path, errors);
        switch (node)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                CheckString(value.GetValue<string>(), node, schema, path, errors);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                CheckNumber(AsDouble(value), node, schema, path, errors);
                break;
            case JsonArray array:
                CheckArray(array, schema, path, errors);
                break;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            errors.Add(FieldError.NotSupported(path, node, allowed));
        }

        if (node is JsonObject obj)
        {
            CheckObject(obj, schema, path, errors);
        }
    }

    /// <summary>
    /// kube-openapi's type validator (validate/type.go), with the types apiextensions-apiserver gives it (int-or-string
    /// is integer or string). A value that is not a string or a list is checked against the format first, named by the
    /// Go type the JSON decoder made of it; a string or a list in a field with a format and a non-numeric type passes.
    /// </summary>
    private static void CheckType(JsonNode node, JsonObject schema, string path, List<FieldError> errors)
    {
        string[] types = IsTrue(schema["x-kubernetes-int-or-string"]) ? ["integer", "string"]
            : schema.GetString("type") is { } type ? [type] : [];
        var format = schema.GetString("format") ?? "";
        if (types.Length == 0 && format.Length == 0)
        {
            return;
        }

        var (found, goFormat) = GoKind(node);
        var isFloatInt = found == "number" && IsJsonInteger(AsDouble(node)) && types.Contains("integer");
        var isIntFloat = found == "integer" && types.Contains("number");
        if (found is not ("string" or "array") && format.Length > 0
            && !(types.Contains(found) || goFormat == format || isFloatInt || isIntFloat))
        {
            errors.Add(TypeError(path, format, goFormat));
            return;
        }

        if (!(types.Contains("number") || types.Contains("integer")) && format.Length > 0 && found is "string" or "array")
        {
            return;
        }

        if (!(types.Contains(found) || isFloatInt || isIntFloat))
        {
            errors.Add(TypeError(path, string.Join(',', types), found));
        }
    }

    private static void CheckObject(JsonObject obj, JsonObject schema, string path, List<FieldError> errors)
    {
        foreach (var name in Strings(schema["required"]))
        {
            if (obj[name] is null)
            {
                errors.Add(FieldError.Required($"{path}.{name}"));
            }
        }

        if (Number(schema["minProperties"]) is { } minProperties && obj.Count < minProperties)
        {
            errors.Add(FieldError.Invalid(path, obj.Count, $"{path} in body should have at least {minProperties} properties"));
        }

        if (Number(schema["maxProperties"]) is { } maxProperties && obj.Count > maxProperties)
        {
            errors.Add(FieldError.Invalid(path, obj.Count, $"{path} in body should have at most {maxProperties} properties"));
        }

        var additional = schema["additionalProperties"] as JsonObject;
        foreach (var (name, value) in obj)
        {
            if (Property(schema, name) is { } propertySchema)
            {
                Check(value, propertySchema, $"{path}.{name}", errors);
            }
            else if (additional is not null)
            {
                Check(value, additional, $"{path}.{name}", errors);
            }
        }
    }

    private static void CheckArray(JsonArray array, JsonObject schema, string path, List<FieldError> errors)
    {
        if (Number(schema["minItems"]) is { } minItems && array.Count < minItems)
        {
            errors.Add(FieldError.Invalid(path, array.Count, $"{path} in body should have at least {minItems} items"));
        }

        if (Number(schema["maxItems"]) is { } maxItems && array.Count > maxItems)
        {
            errors.Add(new FieldError(path, "FieldValueTooMany", $"Too many: {array.Count}: must have at most {maxItems} items"));
        }

        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(array[i], items, $"{path}[{i}]", errors);
            }
        }
    }

    private static void CheckString(string text, JsonNode node, JsonObject schema, string path, List<FieldError> errors)
    {
        if (Number(schema["minLength"]) is { } minLength && text.Length < minLength)
        {
            errors.Add(FieldError.Invalid(path, node, $"{path} in body should be at least {minLength} chars long"));
        }

        if (Number(schema["maxLength"]) is { } maxLength && text.Length > maxLength)
        {
            errors.Add(new FieldError(path, "FieldValueTooLong", $"Too long: may not be more than {maxLength} bytes"));
        }

        if (schema.GetString("pattern") is { } pattern
            && !Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
        {
            errors.Add(FieldError.Invalid(path, node, $"{path} in body should match '{pattern}'"));
        }

        // kube-openapi reports a value not of its format as a type error, naming the format as the schema spells it.
        if (schema.GetString("format") is { } format && !StringFormats.IsValid(format, text))
        {
            var quoted = GoSyntax.Quote(text);
            errors.Add(new FieldError(path, "FieldValueTypeInvalid", $"Invalid value: {quoted}: {path} in body must be of type {format}: {quoted}"));
        }
    }

    private static void CheckNumber(double number, JsonNode node, JsonObject schema, string path, List<FieldError> errors)
    {
        if (Number(schema["minimum"]) is { } minimum)
        {
            var exclusive = IsTrue(schema["exclusiveMinimum"]);
            if (exclusive ? number <= minimum : number < minimum)
            {
                errors.Add(FieldError.Invalid(path, node,
                    $"{path} in body should be greater than {(exclusive ? "" : "or equal to ")}{Format(minimum)}"));
            }
        }

        if (Number(schema["maximum"]) is { } maximum)
        {
            var exclusive = IsTrue(schema["exclusiveMaximum"]);
            if (exclusive ? number >= maximum : number > maximum)
            {
                errors.Add(FieldError.Invalid(path, node,
                    $"{path} in body should be less than {(exclusive ? "" : "or equal to ")}{Format(maximum)}"));
            }
        }
    }

    private static void CheckCombinators(JsonNode node, JsonObject schema, string path, List<FieldError> errors)
    {
        if (schema["allOf"] is JsonArray allOf)
        {
            foreach (var part in allOf.OfType<JsonObject>())
            {
                Check(node, part, path, errors);
            }
        }

        if (schema["anyOf"] is JsonArray anyOf && !anyOf.OfType<JsonObject>().Any(s => Matches(node, s, path)))
        {
            errors.Add(FieldError.Invalid(path, node, $"{path} in body must validate at least one schema (anyOf)"));
        }

        if (schema["oneOf"] is JsonArray oneOf)
        {
            var matching = oneOf.OfType<JsonObject>().Count(s => Matches(node, s, path));
            if (matching != 1)
            {
                errors.Add(FieldError.Invalid(path, node, $"{path} in body must validate one and only one schema (oneOf). Found {(matching == 0 ? "none" : matching.ToString(CultureInfo.InvariantCulture))} valid"));
            }
        }

        if (schema["not"] is JsonObject not && Matches(node, not, path))
        {
            errors.Add(FieldError.Invalid(path, node, $"{path} in body must not validate the schema (not)"));
        }
    }

    private static bool Matches(JsonNode node, JsonObject schema, string path)
    {
        var errors = new List<FieldError>();
        Check(node, schema, path, errors);
        return errors.Count == 0;
    }

    // kube-openapi reports the type it found as the bad value, so kubectl prints it twice, never the value itself.
    private static FieldError TypeError(string path, string expected, string found) =>
        new(path, "FieldValueTypeInvalid", $"Invalid value: {GoSyntax.Quote(found)}: {path} in body must be of type {expected}: {GoSyntax.Quote(found)}");

    /// <summary>
    /// The JSON type of what apimachinery's decoder makes of a value, and the format kube-openapi infers from its Go type:
    /// a number is an int64 when its text parses as one, else a float64.
    /// </summary>
    private static (string Type, string Format) GoKind(JsonNode? node) => node switch
    {
        null => ("null", ""),
        JsonObject => ("object", ""),
        JsonArray => ("array", ""),
        _ when node.GetValueKind() == JsonValueKind.String => ("string", ""),
        _ when node.GetValueKind() is JsonValueKind.True or JsonValueKind.False => ("boolean", ""),
        _ when GoJsonNumbers.IsInt64(node.ToJsonString()) => ("integer", "int64"),
        _ => ("number", "float64"),
    };

    /// <summary>
    /// go-openapi's swag.IsFloat64AJSONInteger: a float64 counts as an integer when it is whole and within 2^53 - 1,
    /// or positive and within a relative error of 1e-9 of its integer part.
    /// </summary>
    private static bool IsJsonInteger(double f)
    {
        const double MaxJsonFloat = 9007199254740991d;
        if (double.IsNaN(f) || double.IsInfinity(f) || f < -MaxJsonFloat || f > MaxJsonFloat)
        {
            return false;
        }

        var whole = Math.Truncate(f);
        if (f == whole)
        {
            return true;
        }

        // Go's uint64(f) of a negative float is far from f, so only positive values reach the relative-error case.
        return f > 0 && whole > 0 && (f - whole) / (f + whole) < 1e-9;
    }

    private static JsonObject? Property(JsonObject schema, string name) =>
        schema["properties"] is JsonObject properties ? properties[name] as JsonObject : null;

    private static bool PreservesUnknown(JsonObject schema) => IsTrue(schema["x-kubernetes-preserve-unknown-fields"]);

    private static bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;

    private static double? Number(JsonNode? node) => node?.GetValueKind() == JsonValueKind.Number ? AsDouble(node) : null;

    // Values built in code hold a CLR long or double, parsed ones a JsonElement: the JSON text reads the same for both.
    private static double AsDouble(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n?.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null).OfType<string>() : [];
}
