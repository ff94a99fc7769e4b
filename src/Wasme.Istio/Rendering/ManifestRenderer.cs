using System.Text.Json.Nodes;
using Wasme.Istio.Translation;
using Wasme.Istio.Workloads;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Rendering;

/// <summary>
/// Turns a translation into the manifests a GitOps pipeline commits: the generated EnvoyFilters/WasmPlugins, then
/// (HostPath) each changed workload with its new pod-template annotations. Stable order, byte-identical on every run.
/// </summary>
public static class ManifestRenderer
{
    public static IReadOnlyList<JsonNode> Render(TranslationResult result, IReadOnlyList<WorkloadDocument> workloads)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(workloads);
        var documents = new List<JsonNode>();
        documents.AddRange(result.Resources
            .OrderBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Kind, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .Select(r => r.Manifest.DeepClone()));

        foreach (var patch in result.WorkloadPatches.OrderBy(p => p.Workload.Namespace, StringComparer.Ordinal).ThenBy(p => p.Workload.Name, StringComparer.Ordinal))
        {
            var source = workloads.FirstOrDefault(w => w.Workload == patch.Workload || Same(w.Workload, patch.Workload));
            if (source is null)
            {
                continue;
            }

            var manifest = WithoutServerFields(source.Manifest.DeepClone().AsObject());
            var template = Ensure(Ensure(Ensure(manifest, "spec"), "template"), "metadata");
            var annotations = new JsonObject();
            foreach (var (key, value) in patch.PodTemplateAnnotations.ApplyTo(patch.Workload.PodTemplateAnnotations))
            {
                annotations[key] = value;
            }

            template["annotations"] = annotations;
            documents.Add(manifest);
        }

        return documents;
    }

    public static string RenderYaml(TranslationResult result, IReadOnlyList<WorkloadDocument> workloads) =>
        YamlJson.Write(Render(result, workloads));

    // What the API server (or kubectl) wrote on the live object. A stored render that keeps them cannot be applied
    // later: the old resourceVersion answers 409, and a stale last-applied-configuration misleads the next apply.
    private static readonly string[] ServerMetadata =
        ["resourceVersion", "uid", "managedFields", "creationTimestamp", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"];

    private static readonly string[] ServerAnnotations =
        ["kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"];

    private static JsonObject WithoutServerFields(JsonObject manifest)
    {
        manifest.Remove("status");
        if (manifest["metadata"] is JsonObject metadata)
        {
            foreach (var field in ServerMetadata)
            {
                metadata.Remove(field);
            }

            if (metadata["annotations"] is JsonObject annotations)
            {
                foreach (var key in ServerAnnotations)
                {
                    annotations.Remove(key);
                }

                if (annotations.Count == 0)
                {
                    metadata.Remove("annotations");
                }
            }
        }

        return manifest;
    }

    private static bool Same(Workload a, Workload b) => a.Kind == b.Kind && a.Name == b.Name && a.Namespace == b.Namespace;

    private static JsonObject Ensure(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[key] = created;
        return created;
    }
}
