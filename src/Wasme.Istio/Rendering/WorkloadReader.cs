using System.Text.Json.Nodes;
using Wasme.Istio.Api;
using Wasme.Istio.Workloads;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Rendering;

/// <summary>A workload manifest and what the translation reads from it.</summary>
public sealed record WorkloadDocument(Workload Workload, JsonObject Manifest);

/// <summary>Reads Deployments, DaemonSets and StatefulSets (also inside <c>List</c> documents, as <c>kubectl get -o yaml</c> writes them).</summary>
public static class WorkloadReader
{
    /// <exception cref="YamlFormatException">The YAML is invalid, a document is not a mapping, or a workload's kind, name or namespace is not a string, or it lacks a name.</exception>
    public static IReadOnlyList<WorkloadDocument> ReadAll(string yaml)
    {
        var result = new List<WorkloadDocument>();
        var documents = YamlJson.ReadManifests(yaml);
        for (var d = 0; d < documents.Count; d++)
        {
            var where = $"document {d + 1}";
            var document = documents[d] as JsonObject ?? throw NotAMapping(where, documents[d]);
            var kind = KindOf(document, where);
            if (kind is "List" or "DeploymentList" or "DaemonSetList" or "StatefulSetList" && document["items"] is JsonArray items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    var item = items[i] as JsonObject ?? throw NotAMapping($"{where}, item {i + 1}", items[i]);
                    if (Read(item, $"{where}, item {i + 1}") is { } listed)
                    {
                        result.Add(listed);
                    }
                }
            }
            else if (Read(document, where) is { } workload)
            {
                result.Add(workload);
            }
        }

        return result;
    }

    /// <exception cref="YamlFormatException">The workload's kind, name or namespace is not a string, or it lacks a name.</exception>
    public static WorkloadDocument? Read(JsonObject manifest) => Read(manifest, "the document");

    private static WorkloadDocument? Read(JsonObject manifest, string where)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        WorkloadKind? kind = KindOf(manifest, where) switch
        {
            "Deployment" => WorkloadKind.Deployment,
            "DaemonSet" => WorkloadKind.DaemonSet,
            "StatefulSet" => WorkloadKind.StatefulSet,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }

        var metadata = manifest["metadata"] switch
        {
            null => null,
            JsonObject obj => obj,
            var other => throw new YamlFormatException($"{where}: the {kind}'s metadata is a {JsonShape.Describe(other)}; it must be a mapping"),
        };
        var name = StringField(metadata, "name", kind.Value, where) ?? throw new YamlFormatException($"{where}: a {kind} has no metadata.name");
        var template = manifest["spec"]?["template"]?["metadata"] as JsonObject;
        return new WorkloadDocument(
            new Workload(
                kind.Value,
                name,
                StringField(metadata, "namespace", kind.Value, where) ?? "default",
                Strings(metadata?["labels"]),
                Strings(template?["labels"]),
                Strings(template?["annotations"])),
            manifest);
    }

    // Kinds of other types (Services, ConfigMaps in the same file) are skipped; a kind that is not a string is no object at all.
    private static string? KindOf(JsonObject manifest, string where) => manifest["kind"] switch
    {
        null => null,
        var node => JsonShape.AsString(node) ?? throw new YamlFormatException($"{where}: kind is a {JsonShape.Describe(node)}; write it as a string such as Deployment"),
    };

    private static string? StringField(JsonObject? metadata, string field, WorkloadKind kind, string where) => metadata?[field] switch
    {
        null => null,
        var node => JsonShape.AsString(node) ?? throw new YamlFormatException($"{where}: the {kind}'s metadata.{field} is a {JsonShape.Describe(node)}; write it as a string"),
    };

    private static YamlFormatException NotAMapping(string where, JsonNode? node) =>
        new($"{where} is a {JsonShape.Describe(node)}, not a Kubernetes object; give Deployments, DaemonSets or StatefulSets as kubectl get -o yaml writes them");

    private static SortedDictionary<string, string> Strings(JsonNode? node)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                result[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? string.Empty;
            }
        }

        return result;
    }
}
