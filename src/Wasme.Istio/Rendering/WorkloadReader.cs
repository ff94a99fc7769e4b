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
    /// <exception cref="YamlFormatException">The YAML is invalid or a workload lacks metadata.name.</exception>
    public static IReadOnlyList<WorkloadDocument> ReadAll(string yaml)
    {
        var result = new List<WorkloadDocument>();
        foreach (var document in YamlJson.ReadDocuments(yaml))
        {
            if (document["kind"]?.GetValue<string>() is "List" or "DeploymentList" or "DaemonSetList" or "StatefulSetList" && document["items"] is JsonArray items)
            {
                result.AddRange(items.OfType<JsonObject>().Select(Read).OfType<WorkloadDocument>());
            }
            else if (document is JsonObject obj && Read(obj) is { } workload)
            {
                result.Add(workload);
            }
        }

        return result;
    }

    public static WorkloadDocument? Read(JsonObject manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        WorkloadKind? kind = manifest["kind"]?.GetValue<string>() switch
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

        var metadata = manifest["metadata"] as JsonObject;
        var name = metadata?["name"]?.GetValue<string>() ?? throw new YamlFormatException($"a {kind} has no metadata.name");
        var template = manifest["spec"]?["template"]?["metadata"] as JsonObject;
        return new WorkloadDocument(
            new Workload(
                kind.Value,
                name,
                metadata?["namespace"]?.GetValue<string>() ?? "default",
                Strings(metadata?["labels"]),
                Strings(template?["labels"]),
                Strings(template?["annotations"])),
            manifest);
    }

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
