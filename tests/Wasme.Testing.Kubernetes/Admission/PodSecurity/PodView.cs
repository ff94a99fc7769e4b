using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>
/// The parts of a pod (or pod template) the checks read, over its JSON: metadata annotations, the pod-level fields
/// and every container (init, regular, ephemeral, in that order, as the library's visitContainers).
/// </summary>
internal sealed class PodView
{
    public PodView(JsonObject? metadata, JsonObject spec)
    {
        Annotations = JsonNodes.StringMap(metadata?["annotations"]);
        Spec = spec;
        Containers = [.. new[] { "initContainers", "containers", "ephemeralContainers" }
            .SelectMany(list => spec[list] is JsonArray array ? array.OfType<JsonObject>() : [])];
    }

    public IReadOnlyDictionary<string, string> Annotations { get; }

    public JsonObject Spec { get; }

    public IReadOnlyList<JsonObject> Containers { get; }

    public JsonObject? PodSecurityContext => Spec["securityContext"] as JsonObject;

    public IEnumerable<JsonObject> Volumes => Spec["volumes"] is JsonArray volumes ? volumes.OfType<JsonObject>() : [];

    public bool IsWindows => Text(Spec["os"]?["name"]) == "windows";

    /// <summary><c>hostUsers: false</c>: the pod runs in a user namespace, which relaxes some checks.</summary>
    public bool InUserNamespace => Flag(Spec["hostUsers"]) == false;

    public static string Name(JsonObject container) => container.GetString("name") ?? "";

    public static JsonObject? SecurityContext(JsonObject container) => container["securityContext"] as JsonObject;

    public static bool? Flag(JsonNode? node) => node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? value.GetValue<bool>()
        : null;

    public static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>An integer field, whichever CLR type backs the JSON value (parsed text, YAML, or built in code).</summary>
    public static long? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            && long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    public static IEnumerable<string> Strings(JsonNode? node) => node is JsonArray array ? array.Select(Text).OfType<string>() : [];
}
