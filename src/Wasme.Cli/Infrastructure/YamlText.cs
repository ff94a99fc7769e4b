using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// A JSON tree as one YAML document, for <c>-o yaml</c> in both editions (the images edition carries no Wasme.Istio,
/// whose YamlJson serves manifests). A string stays plain only when no YAML reader could take it for anything else.
/// </summary>
internal static partial class YamlText
{
    public static string Write(JsonNode? document)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: false));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, document);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
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
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            default:
                // null, true, false and numbers: their JSON text is their YAML text.
                emitter.Emit(new Scalar(null, null, node?.ToJsonString() ?? "null", ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        var plain = SafePlain().IsMatch(text) && !Keyword().IsMatch(text);
        emitter.Emit(new Scalar(null, null, text, plain ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted, true, true));
    }

    // Starts with a letter, no ': ' or ' #' (YAML syntax), no trailing space: never a number, and never a key.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_./@+=-]*(?: [A-Za-z0-9_./@+=(),'-]+)*$")]
    private static partial Regex SafePlain();

    // Words YAML 1.1 or 1.2 readers take for booleans or null.
    [GeneratedRegex("^(?:y|n|yes|no|on|off|true|false|null)$", RegexOptions.IgnoreCase)]
    private static partial Regex Keyword();
}
