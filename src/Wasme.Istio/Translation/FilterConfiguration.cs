using System.Text.Json.Nodes;
using Wasme.Istio.Validation;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Translation;

/// <summary>The filter configuration in the one form the proxy passes to <c>proxy_on_configure</c>: a string.</summary>
/// <param name="Text">The bytes the filter receives, as text.</param>
/// <param name="Json">The JSON object the text came from, when the config was written as an object (WasmPlugin needs it).</param>
public sealed record FilterConfiguration(string Text, JsonObject? Json)
{
    public const string StringValueType = "type.googleapis.com/google.protobuf.StringValue";
    private const string ConfigPath = "spec.filter.config";

    /// <summary>
    /// Reads <c>spec.filter.config</c>: absent (null result), a plain string, a StringValue <c>Any</c>, or a JSON object.
    /// Every other shape is a problem: the original silently ignored configs it could not decode (issue #236).
    /// </summary>
    public static FilterConfiguration? Read(JsonNode? config, ICollection<ValidationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        switch (config)
        {
            case null:
                return null;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return new FilterConfiguration(text, null);
            case JsonObject obj when obj.TryGetPropertyValue("@type", out var typeNode):
                return ReadAny(obj, typeNode, problems);
            case JsonObject obj:
                return new FilterConfiguration(obj.ToJsonString(), obj);
            default:
                problems.Add(new ValidationProblem(
                    ConfigPath,
                    config.ToJsonString(),
                    $"config is a {JsonShape.Describe(config)}, which a filter cannot receive",
                    "write a string (config: 'world'), a StringValue ({'@type': " + StringValueType + ", value: 'world'}), or a JSON object"));
                return null;
        }
    }

    private static FilterConfiguration? ReadAny(JsonObject obj, JsonNode? typeNode, ICollection<ValidationProblem> problems)
    {
        var type = typeNode is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (!string.Equals(type, StringValueType, StringComparison.Ordinal))
        {
            problems.Add(new ValidationProblem(
                ConfigPath + ".@type",
                typeNode?.ToJsonString(),
                "only google.protobuf.StringValue can be passed to a filter as an Any",
                $"use '@type: {StringValueType}' with 'value', or drop '@type' to pass the object as JSON"));
            return null;
        }

        var extra = obj.Select(p => p.Key).Where(k => k is not "@type" and not "value").Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
        {
            problems.Add(new ValidationProblem(
                ConfigPath,
                string.Join(", ", extra),
                "a StringValue has only 'value'; the other fields would be dropped",
                "put the whole configuration text into 'value'"));
        }

        if (!obj.TryGetPropertyValue("value", out var valueNode) || valueNode is null)
        {
            // An empty StringValue is legal protobuf: the filter receives an empty configuration.
            return new FilterConfiguration(string.Empty, null);
        }

        if (valueNode is JsonValue jv && jv.TryGetValue<string>(out var text))
        {
            return new FilterConfiguration(text, null);
        }

        problems.Add(new ValidationProblem(
            ConfigPath + ".value",
            valueNode.ToJsonString(),
            "the value of a StringValue must be a string",
            "quote the value, or drop '@type' and write the configuration as a JSON object"));
        return null;
    }
}
