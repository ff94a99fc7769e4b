using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Wasme.Istio.Yaml;

/// <summary>
/// YAML in and out for Kubernetes manifests, through <see cref="JsonNode"/> (what the API server speaks).
/// <see cref="ReadDocuments"/> follows the YAML 1.2 core schema, so <c>config: 'true'</c> stays a string and <c>config: true</c>
/// does not; <see cref="ReadManifests"/> reads as kubectl does (YAML 1.1 booleans and integers too).
/// Writing keeps the order of the JSON and quotes any string a YAML reader would take for something else.
/// </summary>
public static partial class YamlJson
{
    /// <summary>Parses every document of a YAML stream (empty documents are skipped).</summary>
    /// <exception cref="YamlFormatException">The text is not valid YAML; the message has the line and column.</exception>
    public static IReadOnlyList<JsonNode> ReadDocuments(string yaml) => Read(yaml, kubectl: false);

    /// <summary>
    /// Parses Kubernetes manifests as kubectl does (<see cref="KubectlScalars"/>): what a user would <c>kubectl apply</c>
    /// reads here as the API server would store it, so <c>config: {enabled: yes}</c> is <c>true</c> in both.
    /// </summary>
    /// <exception cref="YamlFormatException">The text is not valid YAML, or holds a value JSON cannot; the message has the line and column.</exception>
    public static IReadOnlyList<JsonNode> ReadManifests(string yaml) => Read(yaml, kubectl: true);

    private static List<JsonNode> Read(string yaml, bool kubectl)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new DepthLimitedParser(new Parser(new StringReader(yaml))));
        }
        catch (YamlException e)
        {
            throw new YamlFormatException($"line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }

        var result = new List<JsonNode>();
        foreach (var document in stream.Documents)
        {
            if (ToJson(document.RootNode, kubectl) is { } node)
            {
                result.Add(node);
            }
        }

        return result;
    }

    /// <summary>Writes documents as one YAML stream, each starting with <c>---</c>.</summary>
    public static string Write(IEnumerable<JsonNode> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: false));
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            Emit(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static JsonNode? ToJson(YamlNode node, bool kubectl) => node switch
    {
        YamlMappingNode mapping => ToObject(mapping, kubectl),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(n => ToJson(n, kubectl)).ToArray()),
        YamlScalarNode scalar => kubectl ? ToKubectlValue(scalar) : ToValue(scalar),
        _ => throw new YamlFormatException($"line {node.Start.Line}: aliases and anchors are not supported in manifests", null),
    };

    private static JsonObject ToObject(YamlMappingNode mapping, bool kubectl)
    {
        var obj = new JsonObject();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } text } keyScalar)
            {
                throw new YamlFormatException($"line {keyNode.Start.Line}, column {keyNode.Start.Column}: a key must be a plain value", null);
            }

            var key = kubectl && IsPlain(keyScalar) ? At(keyScalar, () => KubectlScalars.ResolveKey(text)) : text;
            if (obj.ContainsKey(key))
            {
                throw new YamlFormatException($"line {keyNode.Start.Line}, column {keyNode.Start.Column}: the key '{key}' appears twice", null);
            }

            obj[key] = ToJson(valueNode, kubectl);
        }

        return obj;
    }

    private static bool IsPlain(YamlScalarNode scalar) => scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;

    private static JsonValue? ToKubectlValue(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        return IsPlain(scalar) ? At(scalar, () => KubectlScalars.Resolve(text)) : JsonValue.Create(text);
    }

    private static T At<T>(YamlNode node, Func<T> resolve)
    {
        try
        {
            return resolve();
        }
        catch (YamlFormatException e)
        {
            throw new YamlFormatException($"line {node.Start.Line}, column {node.Start.Column}: {e.Message}", e);
        }
    }

    private static JsonValue? ToValue(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is not ScalarStyle.Plain and not ScalarStyle.Any)
        {
            return JsonValue.Create(text);
        }

        if (NullPattern().IsMatch(text))
        {
            return null;
        }

        if (BoolPattern().IsMatch(text))
        {
            return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
        }

        if (IntPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        EmitString(emitter, value.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        emitter.Emit(new Scalar(null, null, "true", ScalarStyle.Plain, true, false));
                        break;
                    case JsonValueKind.False:
                        emitter.Emit(new Scalar(null, null, "false", ScalarStyle.Plain, true, false));
                        break;
                    default:
                        emitter.Emit(new Scalar(null, null, value.ToJsonString(), ScalarStyle.Plain, true, false));
                        break;
                }

                break;
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        // A plain scalar that would read back as null, a boolean or a number must be quoted to stay a string.
        // YAML 1.1 readers (yes/no/on/off) are common in Kubernetes tooling, so those are quoted too.
        var ambiguous = text.Length == 0
            || !ReadsBackAsString(text)
            || NullPattern().IsMatch(text)
            || BoolPattern().IsMatch(text)
            || Yaml11BoolPattern().IsMatch(text)
            || IntPattern().IsMatch(text)
            || FloatPattern().IsMatch(text)
            || text.Trim() != text;
        var style = text.Contains('\n', StringComparison.Ordinal)
            ? ScalarStyle.DoubleQuoted
            : ambiguous ? ScalarStyle.SingleQuoted : ScalarStyle.Plain;
        emitter.Emit(new Scalar(null, null, text, style, true, true));
    }

    // kubectl (sigs.k8s.io/yaml) also reads 1_000 and 0b11 as numbers, so a string it would not read back is quoted.
    private static bool ReadsBackAsString(string text)
    {
        try
        {
            return KubectlScalars.Resolve(text) is { } value && value.TryGetValue<string>(out var back) && back == text;
        }
        catch (YamlFormatException)
        {
            return false;
        }
    }

    /// <summary>JSON text for a node, indented, for messages and files.</summary>
    public static string ToIndentedJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            node.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [GeneratedRegex("^(~|null|Null|NULL|)$", RegexOptions.CultureInvariant)]
    private static partial Regex NullPattern();

    [GeneratedRegex("^(true|True|TRUE|false|False|FALSE)$", RegexOptions.CultureInvariant)]
    private static partial Regex BoolPattern();

    [GeneratedRegex("^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$", RegexOptions.CultureInvariant)]
    private static partial Regex Yaml11BoolPattern();

    [GeneratedRegex("^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}

/// <summary>The text is not YAML a manifest can be read from.</summary>
public sealed class YamlFormatException : Exception
{
    public YamlFormatException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public YamlFormatException()
    {
    }

    public YamlFormatException(string message)
        : base(message)
    {
    }
}
