using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Wasme.Operator.Kubernetes;

/// <summary>
/// Any Kubernetes object, with typed metadata and everything else kept as JSON: how the operator
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

    /// <summary><c>spec</c>, <c>status</c> and any other top-level field.</summary>
    [JsonExtensionData]
    public JsonObject? Content { get; set; }

    public JsonNode? Spec => Content?["spec"];

    /// <summary>Builds a resource from a full manifest (apiVersion, kind, metadata, spec...).</summary>
    public static GenericResource FromManifest(JsonObject manifest) =>
        KubernetesJson.Deserialize<GenericResource>(manifest.DeepClone());
}
