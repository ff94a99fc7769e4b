using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cel;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Schema.Cel;

/// <summary>
/// Evaluates a custom resource's x-kubernetes-validations rules on create, update and status writes, as
/// kube-apiserver 1.32 does: every non-null value with rules, <c>oldSelf</c> from the correlated old value (properties
/// and map keys; list items only for list-type map), transition rules skipped without one unless optionalOldSelf,
/// and unchanged values ratcheted (their failures become warnings). No cost budget.
/// </summary>
internal sealed partial class CelValidator
{
    private readonly JsonObject _schema;
    private readonly List<Rule> _rules;
    private readonly Dictionary<string, CelValidator> _properties;
    private readonly CelValidator? _additional;
    private readonly CelValidator? _items;
    private readonly List<CelValidator> _allOf;

    private CelValidator(JsonObject schema, bool isResourceRoot)
    {
        _schema = schema;
        var rules = (schema["x-kubernetes-validations"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var type = rules.Count > 0 ? CelType.Of(schema, isResourceRoot) : null;
        _rules = type is null ? [] : rules.Select(r => Rule.Compile(r, type)).ToList();
        _properties = (schema["properties"] as JsonObject ?? [])
            .Where(p => p.Value is JsonObject)
            .ToDictionary(p => p.Key, p => new CelValidator((JsonObject)p.Value!, IsTrue(p.Value!["x-kubernetes-embedded-resource"])), StringComparer.Ordinal);
        _additional = schema["additionalProperties"] is JsonObject additional ? new CelValidator(additional, IsTrue(additional["x-kubernetes-embedded-resource"])) : null;
        _items = schema["items"] is JsonObject items ? new CelValidator(items, IsTrue(items["x-kubernetes-embedded-resource"])) : null;
        _allOf = (schema["allOf"] as JsonArray ?? []).OfType<JsonObject>().Select(s => new CelValidator(s, false)).ToList();
    }

    /// <summary>Null when the schema has no rules anywhere, so writes pay nothing.</summary>
    public static CelValidator? Build(JsonObject openApiV3Schema) =>
        openApiV3Schema.ToJsonString().Contains("\"x-kubernetes-validations\"", StringComparison.Ordinal)
            ? new CelValidator(openApiV3Schema, isResourceRoot: true)
            : null;

    /// <summary>
    /// Errors for <paramref name="obj"/>; <paramref name="old"/> is the stored object on update, null on create. Like
    /// kube-apiserver, rules are not run over an object whose schema errors say a value has the wrong shape or is missing.
    /// </summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? old, IReadOnlyList<FieldError> schemaErrors, List<string> warnings)
    {
        if (schemaErrors.Any(e => e.Reason is "FieldValueNotSupported" or "FieldValueRequired" or "FieldValueTooLong" or "FieldValueTooMany" or "FieldValueTypeInvalid"))
        {
            return [FieldError.Invalid("<nil>", null, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")];
        }

        var errors = new List<FieldError>();
        Validate(null, obj, old, errors, warnings);
        return errors;
    }

    private void Validate(string? path, JsonNode? node, JsonNode? old, List<FieldError> errors, List<string> warnings)
    {
        if (node is null)
        {
            return;
        }

        if (_rules.Count > 0)
        {
            Evaluate(path, node, old, errors, warnings);
        }

        foreach (var part in _allOf)
        {
            part.Validate(path, node, old, errors, warnings);
        }

        switch (node)
        {
            case JsonObject obj:
                // An atomic or granular map correlates old and new by key; nothing else is modelled.
                var oldObj = _schema.GetString("x-kubernetes-map-type") is null or "granular" or "atomic" ? old as JsonObject : null;
                foreach (var (key, value) in obj)
                {
                    if (_properties.TryGetValue(key, out var property))
                    {
                        property.Validate(path is null ? key : $"{path}.{key}", value, oldObj?[key], errors, warnings);
                    }
                    else if (_additional is not null)
                    {
                        _additional.Validate($"{path}[{key}]", value, oldObj?[key], errors, warnings);
                    }
                }

                break;
            case JsonArray array when _items is not null:
                var keys = _schema.GetString("x-kubernetes-list-type") == "map"
                    ? (_schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => k?.GetValue<string>()).OfType<string>().ToList()
                    : null;
                for (var i = 0; i < array.Count; i++)
                {
                    var oldItem = keys is null ? null : (old as JsonArray ?? []).FirstOrDefault(o => keys.All(k => JsonNode.DeepEquals(o?[k], array[i]?[k])));
                    _items.Validate($"{path}[{i}]", array[i], oldItem, errors, warnings);
                }

                break;
        }
    }

    private void Evaluate(string? path, JsonNode node, JsonNode? old, List<FieldError> errors, List<string> warnings)
    {
        var type = _schema.GetString("type") ?? "";
        var self = ToCel(node, _schema);
        var oldSelf = old is null ? null : ToCel(old, _schema);
        var unchanged = old is not null && JsonNode.DeepEquals(node, old);
        foreach (var rule in _rules)
        {
            if (rule.UsesOldSelf && old is null && !rule.OptionalOldSelf)
            {
                continue; // A transition rule needs an old value.
            }

            var variables = new Dictionary<string, object?>
            {
                ["self"] = self,
                ["oldSelf"] = rule.OptionalOldSelf ? new CelOptional(oldSelf, old is not null) : oldSelf,
            };
            var field = rule.FieldPath is { } fieldPath ? Join(path, fieldPath) : path ?? "<nil>";
            FieldError? error;
            if (rule.Program is null)
            {
                error = FieldError.Invalid(field, type, $"rule compile error: {rule.CompileError}");
            }
            else
            {
                try
                {
                    var result = rule.Program(variables);
                    error = result is true ? null : Failure(rule, field, type, variables);
                }
                catch (Exception e) when (e is CelException or ArgumentException or InvalidOperationException or InvalidCastException or RegexParseException or FormatException)
                {
                    error = FieldError.Invalid(path ?? "<nil>", type, RuntimeError(e, rule));
                }
            }

            if (error is null)
            {
                continue;
            }

            if (unchanged && !rule.UsesOldSelf)
            {
                warnings.Add(error.ToString()); // Ratcheting: an unchanged value keeps passing.
            }
            else
            {
                errors.Add(error);
            }
        }
    }

    private static FieldError Failure(Rule rule, string field, string type, Dictionary<string, object?> variables)
    {
        var detail = rule.DefaultMessage;
        if (rule.MessageProgram is { } message)
        {
            try
            {
                if (message(variables) is string text && text.Trim() is { Length: > 0 } trimmed && !trimmed.Contains('\n'))
                {
                    detail = trimmed;
                }
            }
            catch (Exception e) when (e is CelException or ArgumentException or InvalidOperationException or InvalidCastException)
            {
                // kube-apiserver falls back to the rule's message when messageExpression fails.
            }
        }

        return rule.Reason switch
        {
            "FieldValueForbidden" => FieldError.Forbidden(field, detail),
            "FieldValueRequired" => new FieldError(field, "FieldValueRequired", $"Required value: {detail}"),
            "FieldValueDuplicate" => new FieldError(field, "FieldValueDuplicate", $"Duplicate value: {FieldError.Render(JsonValue.Create(type))}"),
            _ => FieldError.Invalid(field, type, detail),
        };
    }

    private static string RuntimeError(Exception e, Rule rule) => e switch
    {
        CelNoSuchOverloadException => $"'no such overload': call arguments did not match a supported operator, function or macro signature for rule: {rule.ErrorString}",
        CelNoSuchFieldException when FieldName().Match(e.Message) is { Success: true } m => $"no such key: {m.Groups[1].Value} evaluating rule: {rule.ErrorString}",
        _ => $"{e.Message} evaluating rule: {rule.ErrorString}",
    };

    private static string Join(string? path, string fieldPath)
    {
        var relative = fieldPath.TrimStart('.');
        return path is null ? relative : relative.StartsWith('[') ? path + relative : $"{path}.{relative}";
    }

    /// <summary>JSON as the Cel package's values: maps, lists, long, double, string, bool, null; numbers typed by the schema.</summary>
    internal static object? ToCel(JsonNode? node, JsonObject? schema) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(
            p => p.Key,
            p => ToCel(p.Value, schema?["properties"]?[p.Key] as JsonObject ?? schema?["additionalProperties"] as JsonObject),
            StringComparer.Ordinal),
        JsonArray array => array.Select(i => ToCel(i, schema?["items"] as JsonObject)).ToList(),
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when schema?.GetString("type") != "number" && long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => integer,
            JsonValueKind.Number => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture),
            _ => null,
        },
    };

    private static bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;

    [GeneratedRegex("field '([^']+)'")]
    private static partial Regex FieldName();

    private sealed record Rule(
        string Text,
        string? Message,
        string? Reason,
        string? FieldPath,
        bool OptionalOldSelf,
        bool UsesOldSelf,
        CelProgramDelegate? Program,
        CelProgramDelegate? MessageProgram,
        string? CompileError)
    {
        public string ErrorString => Message is { Length: > 0 } ? Message.Trim() : Text.Trim();

        public string DefaultMessage => Message is { Length: > 0 } ? Message.Trim() : $"failed rule: {ErrorString}";

        public static Rule Compile(JsonObject rule, CelType self)
        {
            var text = rule.GetString("rule") ?? "";
            var compiled = CelCompiler.Compile(text, self, CelType.Bool);
            var messageExpression = rule.GetString("messageExpression") is { Length: > 0 } m ? CelCompiler.Compile(m, self, CelType.String) : null;
            return new Rule(
                text,
                rule.GetString("message"),
                rule.GetString("reason"),
                rule.GetString("fieldPath"),
                rule["optionalOldSelf"]?.GetValueKind() == JsonValueKind.True,
                compiled.UsesOldSelf,
                compiled.Program,
                messageExpression?.Program,
                compiled.Error);
        }
    }
}
