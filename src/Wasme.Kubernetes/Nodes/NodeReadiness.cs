using k8s.Models;

namespace Wasme.Kubernetes.Nodes;

/// <summary>
/// The per-node readiness record the operator reads before pointing a HostPath workload at a file:
/// ConfigMap <c>wasme-cache-node-&lt;node&gt;</c> in the cache's namespace, with the sorted module
/// hashes held on that node in <c>data.modules</c> (one per line). Written only when the set changes.
/// The cache writes it; the operator and <c>wasme deploy istio</c> read it.
/// </summary>
public static class NodeReadiness
{
    public const string NamePrefix = "wasme-cache-node-";
    public const string ComponentLabel = "app.kubernetes.io/component";
    public const string ComponentValue = "node-readiness";
    public const string NameLabel = "app.kubernetes.io/name";
    public const string NameValue = "wasme-cache";
    public const string NodeAnnotation = "wasme.io/node";
    public const string ModulesKey = "modules";
    public const string NodeKey = "node";

    /// <summary>Label selector that lists every node's record.</summary>
    public const string Selector = $"{NameLabel}={NameValue},{ComponentLabel}={ComponentValue}";

    public static string ConfigMapName(string nodeName) => NamePrefix + nodeName;

    /// <summary>The record of <paramref name="nodeName"/>; <paramref name="heldSha256"/> are the held modules' lowercase hex sha256.</summary>
    public static V1ConfigMap Build(string namespaceName, string nodeName, IEnumerable<string> heldSha256) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta
        {
            Name = ConfigMapName(nodeName),
            NamespaceProperty = namespaceName,
            Labels = new Dictionary<string, string> { [NameLabel] = NameValue, [ComponentLabel] = ComponentValue },
            Annotations = new Dictionary<string, string> { [NodeAnnotation] = nodeName },
        },
        Data = new Dictionary<string, string>
        {
            [NodeKey] = nodeName,
            [ModulesKey] = string.Concat(heldSha256.Order(StringComparer.Ordinal).Select(h => h + "\n")),
        },
    };

    /// <summary>The modules a node's record says it holds.</summary>
    public static IReadOnlySet<string> ReadModules(V1ConfigMap configMap) =>
        (configMap.Data is { } data && data.TryGetValue(ModulesKey, out var modules) ? modules : string.Empty)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
}
