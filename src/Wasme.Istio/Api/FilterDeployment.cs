using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Wasme.Istio.Api;

/// <summary>
/// <c>wasme.io/v1 FilterDeployment</c>: which Proxy-Wasm image to run, with what configuration, on which Istio workloads.
/// Shaped like the KubernetesClient models so the generic client and informers can use it directly.
/// </summary>
[KubernetesEntity(Group = Group, Kind = KubeKind, ApiVersion = Version, PluralName = Plural)]
public sealed class FilterDeployment : IKubernetesObject<V1ObjectMeta>, ISpec<FilterDeploymentSpec>, IStatus<FilterDeploymentStatus?>
{
    public const string Group = "wasme.io";
    public const string Version = "v1";
    public const string KubeKind = "FilterDeployment";
    public const string Plural = "filterdeployments";
    public const string ShortName = "fd";
    public const string GroupVersion = Group + "/" + Version;

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public FilterDeploymentSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public FilterDeploymentStatus? Status { get; set; }
}

/// <summary>List form, as returned by the API server for <c>GET .../filterdeployments</c>.</summary>
[KubernetesEntity(Group = FilterDeployment.Group, Kind = "FilterDeploymentList", ApiVersion = FilterDeployment.Version, PluralName = FilterDeployment.Plural)]
public sealed class FilterDeploymentList : IKubernetesObject<V1ListMeta>, IItems<FilterDeployment>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = FilterDeployment.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "FilterDeploymentList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<FilterDeployment> Items { get; set; } = [];
}
