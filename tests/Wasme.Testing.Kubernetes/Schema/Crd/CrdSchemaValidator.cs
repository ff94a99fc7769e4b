using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Schema.Cel;

namespace Wasme.Testing.Kubernetes.Schema.Crd;

/// <summary>
/// The checks apiextensions-apiserver 1.32 makes of a CRD's openAPIV3Schema when the CRD is written
/// (pkg/apis/apiextensions/validation, pkg/apiserver/schema ValidateStructural): forbidden keywords, structural
/// schema invariants, and x-kubernetes-validations rules compiled against the CEL type of their node.
/// Field paths and details are kube-apiserver's, so kubectl shows the same text.
/// </summary>
internal static class CrdSchemaValidator
{
    private static readonly string[] OpenApiTypes = ["array", "boolean", "integer", "number", "object", "string"];
    private static readonly string[] MetaFields = ["apiVersion", "kind", "metadata"];
    private static readonly string[] Reasons = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];
    private static readonly string[] Junctors = ["allOf", "anyOf", "oneOf"];

    public static IReadOnlyList<FieldError> Validate(JsonObject crd)
    {
        var errors = new List<FieldError>();
        var versions = (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (versions.Count == 0)
        {
            return errors;
        }

        // The internal form hoists per-version schemas to spec.validation when they are all the same, so errors name that.
        var schemas = versions.Select(v => v["schema"]).ToList();
        if (schemas.All(s => JsonNode.DeepEquals(s, schemas[0])))
        {
            ValidateSchema(schemas[0] as JsonObject, "spec.validation", errors);
        }
        else
        {
            for (var i = 0; i < schemas.Count; i++)
            {
                ValidateSchema(schemas[i] as JsonObject, $"spec.versions[{i}].schema", errors);
            }
        }

        return errors;
    }

    private static void ValidateSchema(JsonObject? validation, string path, List<FieldError> errors)
    {
        if (validation?["openAPIV3Schema"] is not JsonObject schema)
        {
            return;
        }

        var root = $"{path}.openAPIV3Schema";
        if (IsTrue(schema["nullable"]))
        {
            errors.Add(FieldError.Forbidden($"{root}.nullable", "nullable cannot be true at the root"));
        }

        var structural = new List<FieldError>();
        Structural(schema, Level.Root, root, structural);
        Completeness(schema, root, structural);
        errors.AddRange(structural.OrderBy(e => e.ToString(), StringComparer.Ordinal));

        var result = new SchemaErrors();
        OpenApi(schema, root, new Scope(false, null, null, CelEnabled: structural.Count == 0), isRoot: true, result);
        errors.AddRange(result.Schema);
        errors.AddRange(result.Cel);
    }

    private enum Level
    {
        Root,
        Item,
        Field,
    }

    private sealed class SchemaErrors
    {
        public List<FieldError> Schema { get; } = [];

        public List<FieldError> Cel { get; } = [];
    }

    /// <summary>Where the walk is: inside resource metadata, why defaults are forbidden, above which path oldSelf cannot correlate.</summary>
    private sealed record Scope(bool InsideResourceMeta, string? ForbiddenDefaults, string? Uncorrelatable, bool CelEnabled);

    private static void Structural(JsonObject s, Level level, string path, List<FieldError> errors)
    {
        var type = s.GetString("type") ?? "";
        var intOrString = IsTrue(s["x-kubernetes-int-or-string"]);
        var preserve = IsTrue(s["x-kubernetes-preserve-unknown-fields"]);
        var embedded = IsTrue(s["x-kubernetes-embedded-resource"]);
        if (type == "array" && s["items"] is null)
        {
            errors.Add(Required($"{path}.items", "must be specified"));
        }

        if (s["items"] is JsonObject items)
        {
            Structural(items, Level.Item, $"{path}.items", errors);
        }

        foreach (var (name, property) in Properties(s))
        {
            Structural(property, Level.Field, $"{path}.properties[{name}]", errors);
        }

        if (s["additionalProperties"] is { } additional && additional.GetValueKind() != JsonValueKind.False)
        {
            if (level == Level.Root)
            {
                errors.Add(FieldError.Forbidden($"{path}.additionalProperties", "must not be used at the root"));
            }

            if (additional is JsonObject additionalSchema)
            {
                Structural(additionalSchema, Level.Field, $"{path}.additionalProperties", errors);
            }
        }

        if (intOrString && preserve)
        {
            errors.Add(FieldError.Invalid($"{path}.x-kubernetes-preserve-unknown-fields", true, "must be false if x-kubernetes-int-or-string is true"));
        }

        if (intOrString && embedded)
        {
            errors.Add(FieldError.Invalid($"{path}.x-kubernetes-embedded-resource", true, "must be false if x-kubernetes-int-or-string is true"));
        }

        var skipAnyOf = IsIntOrStringAnyOf(s["anyOf"]);
        var skipFirstAllOfAnyOf = s["allOf"] is JsonArray { Count: > 0 } allOf && IsIntOrStringAnyOf(allOf[0]?["anyOf"]);
        foreach (var junctor in Junctors)
        {
            var parts = (s[junctor] as JsonArray ?? []).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is JsonObject part && !(junctor == "anyOf" && skipAnyOf))
                {
                    Nested(part, skipAnyOf: junctor == "allOf" && i == 0 && skipFirstAllOfAnyOf, $"{path}.{junctor}[{i}]", errors);
                }
            }
        }

        if (s["not"] is JsonObject not)
        {
            Nested(not, false, $"{path}.not", errors);
        }

        if (embedded && type != "object")
        {
            errors.Add(type.Length == 0
                ? Required($"{path}.type", "must be object if x-kubernetes-embedded-resource is true")
                : FieldError.Invalid($"{path}.type", type, "must be object if x-kubernetes-embedded-resource is true"));
        }
        else if (type.Length == 0 && !intOrString && !preserve)
        {
            errors.Add(Required($"{path}.type", level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }

        if (embedded && s["additionalProperties"] is not null)
        {
            errors.Add(FieldError.Forbidden($"{path}.additionalProperties", "must not be used if x-kubernetes-embedded-resource is set"));
        }

        if (level == Level.Root && type.Length > 0 && type != "object")
        {
            errors.Add(FieldError.Invalid($"{path}.type", type, "must be object at the root"));
        }

        var checkMetadata = level == Level.Root || embedded;
        foreach (var meta in new[] { "kind", "apiVersion" })
        {
            if (checkMetadata && Property(s, meta) is { } field && field.GetString("type") != "string")
            {
                errors.Add(FieldError.Invalid($"{path}.properties[{meta}].type", field.GetString("type") ?? "", "must be string"));
            }
        }

        if (Property(s, "metadata") is { } metadata)
        {
            Metadata(metadata, checkMetadata, level, $"{path}.properties[metadata]", errors);
        }

        if (embedded && !preserve && Properties(s).Count == 0)
        {
            errors.Add(Required($"{path}.properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }
    }

    // Root metadata may say it is an object and restrict name and generateName; nothing else.
    private static void Metadata(JsonObject metadata, bool checkMetadata, Level level, string path, List<FieldError> errors)
    {
        if (checkMetadata && metadata.GetString("type") != "object")
        {
            errors.Add(FieldError.Invalid($"{path}.type", metadata.GetString("type") ?? "", "must be object"));
        }

        if (level != Level.Root)
        {
            return;
        }

        var names = Properties(metadata).Select(p => p.Name).ToList();
        var onlyNames = names.All(n => n is "name" or "generateName");
        var extra = metadata.Select(p => p.Key).Where(k => k is not ("type" or "default" or "properties")).ToList();
        if (!onlyNames || extra.Count > 0)
        {
            errors.Add(FieldError.Forbidden(path, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
        }
    }

    // Inside allOf/anyOf/oneOf/not only value validations may appear: the structure is the main schema's.
    private static void Nested(JsonObject v, bool skipAnyOf, string path, List<FieldError> errors)
    {
        foreach (var junctor in Junctors)
        {
            var parts = (v[junctor] as JsonArray ?? []).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is JsonObject part && !(junctor == "anyOf" && skipAnyOf))
                {
                    Nested(part, false, $"{path}.{junctor}[{i}]", errors);
                }
            }
        }

        if (v["not"] is JsonObject not)
        {
            Nested(not, false, $"{path}.not", errors);
        }

        if (v["items"] is JsonObject items)
        {
            Nested(items, false, $"{path}.items", errors);
        }

        foreach (var (name, property) in Properties(v))
        {
            Nested(property, false, $"{path}.properties[{name}]", errors);
        }

        Forbid(v, "type", v["type"] is not null, "must be empty to be structural");
        Forbid(v, "additionalProperties", v["additionalProperties"] is not null, "must be undefined to be structural");
        Forbid(v, "default", v["default"] is not null, "must be undefined to be structural");
        Forbid(v, "title", v.GetString("title") is { Length: > 0 }, "must be empty to be structural");
        Forbid(v, "description", v.GetString("description") is { Length: > 0 }, "must be empty to be structural");
        Forbid(v, "nullable", IsTrue(v["nullable"]), "must be false to be structural");
        Forbid(v, "x-kubernetes-preserve-unknown-fields", IsTrue(v["x-kubernetes-preserve-unknown-fields"]), "must be false to be structural");
        Forbid(v, "x-kubernetes-embedded-resource", IsTrue(v["x-kubernetes-embedded-resource"]), "must be false to be structural");
        Forbid(v, "x-kubernetes-int-or-string", IsTrue(v["x-kubernetes-int-or-string"]), "must be false to be structural");
        Forbid(v, "x-kubernetes-list-map-keys", v["x-kubernetes-list-map-keys"] is JsonArray { Count: > 0 }, "must be empty to be structural");
        Forbid(v, "x-kubernetes-list-type", v["x-kubernetes-list-type"] is not null, "must be undefined to be structural");
        Forbid(v, "x-kubernetes-map-type", v["x-kubernetes-map-type"] is not null, "must be undefined to be structural");
        Forbid(v, "x-kubernetes-validations", v["x-kubernetes-validations"] is JsonArray { Count: > 0 }, "must be empty to be structural");
        if (Property(v, "metadata") is not null)
        {
            errors.Add(FieldError.Forbidden($"{path}.properties[metadata]", "must not be specified in a nested context"));
        }

        void Forbid(JsonObject _, string keyword, bool present, string detail)
        {
            if (present)
            {
                errors.Add(FieldError.Forbidden($"{path}.{keyword}", detail));
            }
        }
    }

    // Every property or items named in a value validation must exist in the main schema too.
    private static void Completeness(JsonObject s, string path, List<FieldError> errors)
    {
        foreach (var junctor in Junctors)
        {
            var parts = (s[junctor] as JsonArray ?? []).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is JsonObject part)
                {
                    NestedCompleteness(part, s, path, $"{path}.{junctor}[{i}]", errors);
                }
            }
        }

        if (s["not"] is JsonObject not)
        {
            NestedCompleteness(not, s, path, $"{path}.not", errors);
        }

        if (s["items"] is JsonObject items)
        {
            Completeness(items, $"{path}.items", errors);
        }

        foreach (var (name, property) in Properties(s))
        {
            Completeness(property, $"{path}.properties[{name}]", errors);
        }

        if (s["additionalProperties"] is JsonObject additional)
        {
            Completeness(additional, $"{path}.additionalProperties", errors);
        }
    }

    private static void NestedCompleteness(JsonObject v, JsonObject s, string sPath, string vPath, List<FieldError> errors)
    {
        if (v["items"] is JsonObject items)
        {
            if (s["items"] is JsonObject sItems)
            {
                NestedCompleteness(items, sItems, $"{sPath}.items", $"{vPath}.items", errors);
            }
            else
            {
                errors.Add(Required($"{sPath}.items", $"because it is defined in {vPath}.items"));
            }
        }

        foreach (var (name, property) in Properties(v))
        {
            if (Property(s, name) is { } sProperty)
            {
                NestedCompleteness(property, sProperty, $"{sPath}.properties[{name}]", $"{vPath}.properties[{name}]", errors);
            }
            else
            {
                errors.Add(Required($"{sPath}.properties[{name}]", $"because it is defined in {vPath}.properties[{name}]"));
            }
        }

        foreach (var junctor in Junctors)
        {
            var parts = (v[junctor] as JsonArray ?? []).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is JsonObject part)
                {
                    NestedCompleteness(part, s, sPath, $"{vPath}.{junctor}[{i}]", errors);
                }
            }
        }
    }

    private static void OpenApi(JsonObject schema, string path, Scope scope, bool isRoot, SchemaErrors errors)
    {
        var before = errors.Schema.Count;
        Keywords(schema, path, scope, errors.Schema);
        if (IsTrue(schema["uniqueItems"]))
        {
            errors.Schema.Add(FieldError.Forbidden($"{path}.uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        }

        var additional = schema["additionalProperties"];
        if (additional is not null)
        {
            if (Properties(schema).Count != 0 && additional.GetValueKind() != JsonValueKind.True)
            {
                errors.Schema.Add(FieldError.Forbidden($"{path}.additionalProperties", "additionalProperties and properties are mutual exclusive"));
            }

            if (additional is JsonObject additionalSchema)
            {
                var sub = scope.InsideResourceMeta ? scope with { ForbiddenDefaults = "inside additionalProperties applying to object metadata" } : scope;
                OpenApi(additionalSchema, $"{path}.additionalProperties", sub, false, errors);
            }
        }

        foreach (var (name, property) in Properties(schema))
        {
            var sub = scope;
            if (schema.GetString("x-kubernetes-map-type") is { } mapType && mapType is not ("granular" or "atomic"))
            {
                sub = sub with { Uncorrelatable = sub.Uncorrelatable ?? path };
            }

            if ((isRoot || IsTrue(schema["x-kubernetes-embedded-resource"])) && MetaFields.Contains(name))
            {
                sub = sub with { InsideResourceMeta = true };
                if (isRoot)
                {
                    sub = sub with { ForbiddenDefaults = $"in top-level {name}" };
                }
            }

            OpenApi(property, $"{path}.properties[{name}]", sub, false, errors);
        }

        // Rules nested in junctors are refused by the structural checks; no CEL context reaches there.
        if (schema["not"] is JsonObject not)
        {
            OpenApi(not, $"{path}.not", scope with { CelEnabled = false }, false, errors);
        }

        foreach (var junctor in Junctors)
        {
            var parts = (schema[junctor] as JsonArray ?? []).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is JsonObject part)
                {
                    OpenApi(part, $"{path}.{junctor}[{i}]", scope with { CelEnabled = false }, false, errors);
                }
            }
        }

        if (schema["items"] is JsonObject items)
        {
            var sub = schema.GetString("x-kubernetes-list-type") == "map" ? scope : scope with { Uncorrelatable = scope.Uncorrelatable ?? path };
            OpenApi(items, $"{path}.items", sub, false, errors);
        }

        ListAndMapTypes(schema, path, errors.Schema);
        if (schema["x-kubernetes-validations"] is JsonArray rules && rules.Count > 0)
        {
            StaticRuleChecks(schema, rules, path, errors.Schema);
            if (errors.Schema.Count == before && scope.CelEnabled)
            {
                CompileRules(schema, rules, path, scope, isRoot, errors.Cel);
            }
        }
    }

    private static void Keywords(JsonObject schema, string path, Scope scope, List<FieldError> errors)
    {
        var type = schema.GetString("type");
        if (type is { Length: > 0 } && !OpenApiTypes.Contains(type))
        {
            errors.Add(FieldError.NotSupported($"{path}.type", type, OpenApiTypes.Select(t => (JsonNode?)JsonValue.Create(t))));
        }

        if (schema["default"] is not null && scope.ForbiddenDefaults is { } reason)
        {
            errors.Add(FieldError.Forbidden($"{path}.default", $"must not be set {reason}"));
        }

        if (schema.GetString("id") is { Length: > 0 })
        {
            errors.Add(FieldError.Forbidden($"{path}.id", "id is not supported"));
        }

        foreach (var (keyword, detail) in new[]
        {
            ("additionalItems", "additionalItems is not supported"),
            ("patternProperties", "patternProperties is not supported"),
            ("definitions", "definitions is not supported"),
            ("dependencies", "dependencies is not supported"),
            ("$ref", "$ref is not supported"),
        })
        {
            if (schema[keyword] is not null && !(schema[keyword] is JsonObject { Count: 0 } && keyword is "patternProperties" or "definitions"))
            {
                errors.Add(FieldError.Forbidden($"{path}.{keyword}", detail));
            }
        }

        if (type == "null")
        {
            errors.Add(FieldError.Forbidden($"{path}.type", "type cannot be set to null, use nullable as an alternative"));
        }

        if (schema["items"] is JsonArray)
        {
            errors.Add(FieldError.Forbidden($"{path}.items", "items must be a schema object and not an array"));
        }

        if (scope.InsideResourceMeta && IsTrue(schema["x-kubernetes-embedded-resource"]))
        {
            errors.Add(FieldError.Forbidden($"{path}.x-kubernetes-embedded-resource", "must not be used inside of resource meta"));
        }
    }

    private static void ListAndMapTypes(JsonObject schema, string path, List<FieldError> errors)
    {
        var type = schema.GetString("type") ?? "";
        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValueKind() == JsonValueKind.False)
        {
            errors.Add(FieldError.Invalid($"{path}.x-kubernetes-preserve-unknown-fields", false, "must be true or undefined"));
        }

        if (schema.GetString("x-kubernetes-map-type") is { } mapType)
        {
            if (type != "object")
            {
                errors.Add(type.Length == 0
                    ? Required($"{path}.type", "must be object if x-kubernetes-map-type is specified")
                    : FieldError.Invalid($"{path}.type", type, "must be object if x-kubernetes-map-type is specified"));
            }

            if (mapType is not ("atomic" or "granular"))
            {
                errors.Add(FieldError.NotSupported($"{path}.x-kubernetes-map-type", mapType, [JsonValue.Create("atomic"), JsonValue.Create("granular")]));
            }
        }

        if (schema.GetString("x-kubernetes-list-type") is { } listType)
        {
            if (type != "array")
            {
                errors.Add(type.Length == 0
                    ? Required($"{path}.type", "must be array if x-kubernetes-list-type is specified")
                    : FieldError.Invalid($"{path}.type", type, "must be array if x-kubernetes-list-type is specified"));
            }

            if (listType is not ("atomic" or "set" or "map"))
            {
                errors.Add(FieldError.NotSupported($"{path}.x-kubernetes-list-type", listType, [JsonValue.Create("atomic"), JsonValue.Create("set"), JsonValue.Create("map")]));
            }

            if (listType == "map" && schema["x-kubernetes-list-map-keys"] is not JsonArray { Count: > 0 })
            {
                errors.Add(Required($"{path}.x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
            }
        }
        else if (schema["x-kubernetes-list-map-keys"] is JsonArray { Count: > 0 })
        {
            errors.Add(Required($"{path}.x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty"));
        }
    }

    private static void StaticRuleChecks(JsonObject schema, JsonArray rules, string path, List<FieldError> errors)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i] as JsonObject ?? [];
            var at = $"{path}.x-kubernetes-validations[{i}]";
            var text = (rule.GetString("rule") ?? "").Trim();
            var message = rule.GetString("message");
            var trimmedMessage = (message ?? "").Trim();
            if (text.Length == 0)
            {
                errors.Add(Required($"{at}.rule", "rule is not specified"));
            }
            else if (message is { Length: > 0 } && trimmedMessage.Length == 0)
            {
                errors.Add(InvalidText($"{at}.message", message!, "must be non-empty if specified"));
            }
            else if (trimmedMessage.Contains('\n'))
            {
                errors.Add(InvalidText($"{at}.message", message!, "must not contain line breaks"));
            }
            else if (text.Contains('\n') && trimmedMessage.Length == 0)
            {
                errors.Add(Required($"{at}.message", "message must be specified if rule contains line breaks"));
            }

            if (rule.GetString("messageExpression") is { Length: > 0 } expression && expression.Trim().Length == 0)
            {
                errors.Add(Required($"{at}.messageExpression", "messageExpression must be non-empty if specified"));
            }

            if (rule.GetString("reason") is { } reason && !Reasons.Contains(reason))
            {
                errors.Add(FieldError.NotSupported($"{at}.reason", reason, Reasons.Select(r => (JsonNode?)JsonValue.Create(r))));
            }

            if (rule.GetString("fieldPath") is { Length: > 0 } fieldPath)
            {
                if (fieldPath.Trim().Length == 0)
                {
                    errors.Add(InvalidText($"{at}.fieldPath", fieldPath, "must be non-empty if specified"));
                }
                else if (fieldPath.Contains('\n'))
                {
                    errors.Add(InvalidText($"{at}.fieldPath", fieldPath, "must not contain line breaks"));
                }
                else if (!FieldPathExists(schema, fieldPath))
                {
                    errors.Add(InvalidText($"{at}.fieldPath", fieldPath, "must be a valid path"));
                }
            }
        }
    }

    private static void CompileRules(JsonObject schema, JsonArray rules, string path, Scope scope, bool isRoot, List<FieldError> errors)
    {
        // apiserver's SchemaDeclType: no CEL type for untyped nodes (x-kubernetes-preserve-unknown-fields alone gives none).
        if (CelType.Of(schema, isRoot || IsTrue(schema["x-kubernetes-embedded-resource"])) is not { } self)
        {
            errors.Add(new FieldError($"{path}.x-kubernetes-validations", "InternalError",
                "Internal error: internal error: failed to construct type information for x-kubernetes-validations rules: unable to convert structural schema to CEL declarations"));
            return;
        }

        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i] as JsonObject ?? [];
            var at = $"{path}.x-kubernetes-validations[{i}]";
            var text = rule.GetString("rule") ?? "";
            if (text.Trim().Length == 0)
            {
                continue;
            }

            var compiled = CelCompiler.Compile(text, self, CelType.Bool);
            if (compiled.Error is { } error)
            {
                errors.Add(new FieldError($"{at}.rule", "FieldValueInvalid", $"Invalid value: {GoRule(rule)}: compilation failed: {error}".Replace("compilation failed: cel expression must evaluate to a bool", "cel expression must evaluate to a bool", StringComparison.Ordinal)));
            }

            if (rule.GetString("messageExpression") is { Length: > 0 } messageExpression && messageExpression.Trim().Length > 0
                && CelCompiler.Compile(messageExpression, self, CelType.String).Error is { } messageError)
            {
                errors.Add(new FieldError($"{at}.messageExpression", "FieldValueInvalid",
                    $"Invalid value: {GoRule(rule)}: " + (messageError == "must evaluate to a string" ? "messageExpression must evaluate to a string" : $"messageExpression compilation failed: {messageError}")));
            }

            if (compiled.UsesOldSelf)
            {
                if (scope.Uncorrelatable is { } uncorrelatable)
                {
                    errors.Add(InvalidText($"{at}.rule", text, $"oldSelf cannot be used on the uncorrelatable portion of the schema within {uncorrelatable}"));
                }
            }
            else if (rule["optionalOldSelf"] is { } optional && optional.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                errors.Add(FieldError.Invalid($"{at}.optionalOldSelf", optional.GetValueKind() == JsonValueKind.True, "may not be set if oldSelf is not used in rule"));
            }
        }
    }

    // A rule's fieldPath must name a declared property (dotted, or ['quoted']) below its node.
    private static bool FieldPathExists(JsonObject schema, string fieldPath)
    {
        var current = schema;
        var rest = fieldPath.Trim();
        while (rest.Length > 0)
        {
            string name;
            if (rest.StartsWith("['", StringComparison.Ordinal) && rest.IndexOf("']", StringComparison.Ordinal) is var end and > 1)
            {
                name = rest[2..end];
                rest = rest[(end + 2)..];
            }
            else if (rest.StartsWith('.'))
            {
                var next = rest.IndexOfAny(['.', '['], 1);
                name = next < 0 ? rest[1..] : rest[1..next];
                rest = next < 0 ? "" : rest[next..];
            }
            else
            {
                return false;
            }

            if (Property(current, name) is { } property)
            {
                current = property;
            }
            else if (current["additionalProperties"] is JsonObject additional)
            {
                current = additional;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    // Go's %#v of apiextensions.ValidationRule, which kube-apiserver prints as the bad value of a rule that does not compile.
    private static string GoRule(JsonObject rule)
    {
        static string Pointer(JsonNode? node, string type) => node is null ? $"(*{type})(nil)" : $"(*{type})(0xc000000000)";
        return "apiextensions.ValidationRule{"
            + $"Rule:{GoSyntax.Quote(rule.GetString("rule") ?? "")}, Message:{GoSyntax.Quote(rule.GetString("message") ?? "")}, "
            + $"MessageExpression:{GoSyntax.Quote(rule.GetString("messageExpression") ?? "")}, "
            + $"Reason:{Pointer(rule["reason"], "apiextensions.FieldValueErrorReason")}, FieldPath:{GoSyntax.Quote(rule.GetString("fieldPath") ?? "")}, "
            + $"OptionalOldSelf:{Pointer(rule["optionalOldSelf"], "bool")}}}";
    }

    private static bool IsIntOrStringAnyOf(JsonNode? anyOf) =>
        anyOf is JsonArray { Count: 2 } parts
        && parts[0] is JsonObject { Count: 1 } first && first.GetString("type") == "integer"
        && parts[1] is JsonObject { Count: 1 } second && second.GetString("type") == "string";

    // Go quotes a string bad value with %q, which unlike JSON leaves &, < and > alone.
    private static FieldError InvalidText(string field, string value, string detail) => new(field, "FieldValueInvalid", $"Invalid value: {GoSyntax.Quote(value)}: {detail}");

    private static FieldError Required(string field, string detail) => new(field, "FieldValueRequired", $"Required value: {detail}");

    private static List<(string Name, JsonObject Schema)> Properties(JsonObject schema) =>
        (schema["properties"] as JsonObject ?? []).Where(p => p.Value is JsonObject).Select(p => (p.Key, (JsonObject)p.Value!)).ToList();

    private static JsonObject? Property(JsonObject schema, string name) => schema["properties"]?[name] as JsonObject;

    private static bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;
}
