using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Wasme.Kubernetes.Clients;

namespace Wasme.Kubernetes.Nodes;

/// <summary>
/// <c>wasme.io/v1 CacheNodeRecord</c> (deploy/crds/cachenoderecords.wasme.io.yaml): the modules one node's cache holds,
/// named after the node, in the cache's namespace, with the sorted sha256 hex of each held module in
/// <c>spec.modules</c>. The cache writes its node's record when the set changes; the operator (HostPath's readiness
/// gate) and <c>wasme deploy istio --wait</c> read them. A kind of its own so the cache's write grant reaches nothing else.
/// </summary>
[KubernetesEntity(Group = Group, Kind = KubeKind, ApiVersion = Version, PluralName = Plural)]
public sealed class CacheNodeRecord : IKubernetesObject<V1ObjectMeta>, ISpec<CacheNodeRecordSpec>
{
    public const string Group = "wasme.io";
    public const string Version = "v1";
    public const string KubeKind = "CacheNodeRecord";
    public const string Plural = "cachenoderecords";

    /// <summary>Where the kind is served, for the generic client and informers.</summary>
    public static ResourceType Type { get; } = new(Group, Version, Plural, KubeKind);

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = Group + "/" + Version;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public CacheNodeRecordSpec Spec { get; set; } = new();

    /// <summary>The node the record speaks for: its name.</summary>
    [JsonIgnore]
    public string NodeName => Metadata.Name;

    /// <summary>The record of <paramref name="nodeName"/>; <paramref name="heldSha256"/> are the held modules' lowercase hex sha256.</summary>
    public static CacheNodeRecord For(string namespaceName, string nodeName, IEnumerable<string> heldSha256) => new()
    {
        Metadata = new V1ObjectMeta { Name = nodeName, NamespaceProperty = namespaceName },
        Spec = new CacheNodeRecordSpec { Modules = [.. heldSha256.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] },
    };

    /// <summary>The modules the record says its node holds.</summary>
    public IReadOnlySet<string> HeldModules() => (Spec.Modules ?? []).ToHashSet(StringComparer.Ordinal);
}

/// <summary>What a node's cache holds.</summary>
public sealed class CacheNodeRecordSpec
{
    /// <summary>The sha256 (64 lowercase hex) of every module held on the node, sorted.</summary>
    [JsonPropertyName("modules")]
    public IList<string>? Modules { get; set; } = [];
}

/// <summary>Source-generated JSON for the records (the CLI, which writes and reads them, is published native AOT).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CacheNodeRecord))]
[JsonSerializable(typeof(ResourceList<CacheNodeRecord>))]
public sealed partial class CacheNodeRecordJsonContext : JsonSerializerContext;
