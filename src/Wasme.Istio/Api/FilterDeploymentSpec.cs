using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Wasme.Istio.Api;

public sealed class FilterDeploymentSpec
{
    [JsonPropertyName("filter")]
    public FilterSpec? Filter { get; set; }

    [JsonPropertyName("deployment")]
    public DeploymentSpec? Deployment { get; set; }
}

/// <summary>The filter itself. Field names (including <c>rootID</c>) match the original wasme API.</summary>
public sealed class FilterSpec
{
    /// <summary>Unique id of the filter; default <c>&lt;name&gt;.&lt;namespace&gt;</c>. Suffix of generated object names, Envoy filter name and VM id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    /// <summary>OCI reference of the Wasm image (tag or digest).</summary>
    [JsonPropertyName("image")]
    public string? Image { get; set; }

    /// <summary>
    /// A plain string, <c>{'@type': type.googleapis.com/google.protobuf.StringValue, value: ...}</c>,
    /// or any JSON object (delivered as its JSON text). Kept as a node so that every shape can be validated, not dropped.
    /// </summary>
    [JsonPropertyName("config")]
    public JsonNode? Config { get; set; }

    /// <summary>Root context id; default the image's first root id.</summary>
    [JsonPropertyName("rootID")]
    public string? RootId { get; set; }

    [JsonPropertyName("patchContext")]
    public PatchContext? PatchContext { get; set; }

    [JsonPropertyName("failStrategy")]
    public FailStrategy? FailStrategy { get; set; }

    [JsonPropertyName("imagePullOptions")]
    public ImagePullOptions? ImagePullOptions { get; set; }
}

public sealed class ImagePullOptions
{
    /// <summary>Secret in the FilterDeployment's namespace (<c>kubernetes.io/dockerconfigjson</c>, or keys <c>username</c>/<c>password</c>).</summary>
    [JsonPropertyName("pullSecret")]
    public string? PullSecret { get; set; }

    [JsonPropertyName("insecureSkipVerify")]
    public bool? InsecureSkipVerify { get; set; }

    [JsonPropertyName("plainHttp")]
    public bool? PlainHttp { get; set; }
}

/// <summary>Where the filter goes. Like the original, <c>istio</c> is the only target.</summary>
public sealed class DeploymentSpec
{
    [JsonPropertyName("istio")]
    public IstioDeploymentSpec? Istio { get; set; }
}

public sealed class IstioDeploymentSpec
{
    /// <summary>Kind of the workload objects to select.</summary>
    [JsonPropertyName("kind")]
    public WorkloadKind? Kind { get; set; }

    /// <summary>Selects workload objects by their own <c>metadata.labels</c>; empty selects every workload of the kind in the namespace.</summary>
    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>Namespace of istiod (for the version check); default <c>istio-system</c>.</summary>
    [JsonPropertyName("istioNamespace")]
    public string? IstioNamespace { get; set; }

    [JsonPropertyName("delivery")]
    public DeliveryMode? Delivery { get; set; }
}
