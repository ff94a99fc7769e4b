using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Wasme.Istio.Validation;

namespace Wasme.Istio.Schema;

/// <summary>A CRD's schema, ready to check manifests offline and report every violation with its path and a fix.</summary>
public sealed class ManifestSchema
{
    private readonly JsonSchema _schema;
    private readonly JsonObject _jsonSchema;

    public ManifestSchema(JsonObject openApiV3Schema, bool rejectUnknownFields = true)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        _jsonSchema = OpenApiSchemaConverter.ToJsonSchema(openApiV3Schema, rejectUnknownFields);
        // Each schema gets its own registry so that many CRDs can be loaded side by side.
        _schema = JsonSchema.FromText(_jsonSchema.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    /// <summary>Loads the <c>openAPIV3Schema</c> of one version of a CRD manifest.</summary>
    public static ManifestSchema FromCrd(JsonNode crd, string version, bool rejectUnknownFields = true)
    {
        ArgumentNullException.ThrowIfNull(crd);
        var versions = crd["spec"]?["versions"] as JsonArray ?? throw new ArgumentException("The CRD has no spec.versions.", nameof(crd));
        var entry = versions.OfType<JsonObject>().FirstOrDefault(v => v["name"]?.GetValue<string>() == version)
            ?? throw new ArgumentException($"The CRD has no version '{version}'.", nameof(version));
        var schema = entry["schema"]?["openAPIV3Schema"] as JsonObject
            ?? throw new ArgumentException($"The CRD version '{version}' has no openAPIV3Schema.", nameof(crd));
        return new ManifestSchema(schema, rejectUnknownFields);
    }

    public IReadOnlyList<ValidationProblem> Validate(JsonNode manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var document = JsonDocument.Parse(manifest.ToJsonString());
        var results = _schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        var problems = new List<ValidationProblem>();
        foreach (var detail in (results.Details ?? []).Prepend(results))
        {
            if (detail.Errors is null)
            {
                continue;
            }

            var segments = Segments(detail.InstanceLocation.ToString());
            foreach (var (keyword, message) in detail.Errors)
            {
                problems.Add(Describe(manifest, segments, keyword, message, detail));
            }
        }

        return problems
            .DistinctBy(p => (p.Path, p.Reason))
            .OrderBy(p => p.Path, StringComparer.Ordinal)
            .ThenBy(p => p.Reason, StringComparer.Ordinal)
            .ToList();
    }

    private ValidationProblem Describe(JsonNode manifest, string[] segments, string keyword, string message, EvaluationResults detail)
    {
        var path = segments.Length == 0 ? "(document)" : string.Join('.', segments);
        var value = Find(manifest, segments);
        var schema = FindSchema(segments);
        var text = value switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => value.ToJsonString(),
        };
        if (text is { Length: > 80 })
        {
            text = text[..77] + "...";
        }

        var description = schema?["description"]?.GetValue<string>();
        switch (keyword)
        {
            case "required":
                var missing = (schema?["required"] as JsonArray)?.Select(r => r!.GetValue<string>())
                    .Where(r => value is JsonObject o && !o.ContainsKey(r)).ToList() ?? [];
                var names = string.Join(", ", missing);
                return new(path.Length == 0 || segments.Length == 0 ? names : $"{path}.{names}", null, $"required field missing ({names})", $"add '{names}'");
            case "enum":
                var allowed = string.Join(", ", (schema?["enum"] as JsonArray ?? []).Select(e => e!.ToJsonString().Trim('"')));
                return new(path, text, "not one of the allowed values", $"use one of: {allowed}");
            case "type":
                var types = schema?["type"] is JsonArray list ? string.Join(" or ", list.Select(t => t!.GetValue<string>())) : schema?["type"]?.GetValue<string>();
                return new(path, text, description is not null && schema?["type"] is JsonArray ? description : $"wrong type: expected {types}", $"write a {types}");
            case "additionalProperties" or "false" or "":
                return new(path, text, "unknown field", "remove it or check its spelling (field names are case-sensitive)");
            case "pattern":
                return new(path, text, $"does not match {schema?["pattern"]}", description ?? "fix the value's format");
            default:
                _ = detail;
                return new(path, text, message, description ?? $"fix the value to satisfy '{keyword}'");
        }
    }

    // RFC 6901: "/a/b~1c" → ["a", "b/c"].
    private static string[] Segments(string pointer) => pointer
        .Split('/', StringSplitOptions.RemoveEmptyEntries)
        .Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))
        .ToArray();

    private static JsonNode? Find(JsonNode? node, IEnumerable<string> segments)
    {
        foreach (var segment in segments)
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private JsonObject? FindSchema(IEnumerable<string> segments)
    {
        JsonObject? schema = _jsonSchema;
        foreach (var segment in segments)
        {
            schema = schema?["properties"]?[segment] as JsonObject
                ?? schema?["additionalProperties"] as JsonObject
                ?? schema?["items"] as JsonObject;
        }

        return schema;
    }
}
