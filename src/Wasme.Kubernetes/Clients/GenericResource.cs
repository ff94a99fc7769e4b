using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Any Kubernetes object shaped metadata + spec + status, with typed metadata and spec/status kept as JSON: how the operator
/// reads and writes the Istio kinds (EnvoyFilter, WasmPlugin) whose schema it does not own.
/// </summary>
public sealed class GenericResource : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public JsonNode? Spec { get; set; }

    /// <summary>Read-only for the operator: never sent back except as the server returned it.</summary>
    [JsonPropertyName("status")]
    public JsonNode? Status { get; set; }

    /// <summary>Builds a resource from a full manifest (apiVersion, kind, metadata, spec...).</summary>
    public static GenericResource FromManifest(JsonObject manifest) =>
        KubernetesJson.Deserialize<GenericResource>(manifest.DeepClone());
}
