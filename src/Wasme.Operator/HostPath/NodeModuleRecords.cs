using k8s.Models;
using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Nodes;

namespace Wasme.Operator.HostPath;

/// <summary>
/// What each node's cache says it holds: ConfigMap <c>wasme-cache-node-&lt;node&gt;</c> in the cache's namespace, with
/// the module hashes in <c>data.modules</c>, one per line (docs/cache.md, "Readiness per node"). This is the operator's
/// half of that contract; <see cref="NodeReadiness"/> defines it and the cache writes it.
/// </summary>
public sealed class NodeModuleRecords
{
    /// <summary>Selects every node's record and nothing else in the cache's namespace.</summary>
    public const string Selector = NodeReadiness.Selector;

    private readonly ResourceInformer<V1ConfigMap> _informer;

    public NodeModuleRecords(ResourceInformer<V1ConfigMap> informer, string cacheNamespace)
    {
        _informer = informer;
        Namespace = cacheNamespace;
    }

    /// <summary>Where the caches write their records (the operator's <c>--cache-namespace</c>).</summary>
    public string Namespace { get; }

    /// <summary>False until the records were listed once (then an absent record means a node without a running cache).</summary>
    public bool HasSynced => _informer.HasSynced;

    /// <summary>Node name to the module hashes its cache holds, as of the informer's last event.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Snapshot()
    {
        var nodes = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var record in _informer.List(Namespace))
        {
            if (NodeOf(record) is { } node)
            {
                nodes[node] = ModulesOf(record);
            }
        }

        return nodes;
    }

    private static string? NodeOf(V1ConfigMap record) =>
        Value(record.Data, NodeReadiness.NodeKey) is { Length: > 0 } node ? node
        : Value(record.Metadata.Annotations, NodeReadiness.NodeAnnotation) is { Length: > 0 } annotated ? annotated
        : record.Metadata.Name.StartsWith(NodeReadiness.NamePrefix, StringComparison.Ordinal) ? record.Metadata.Name[NodeReadiness.NamePrefix.Length..]
        : null;

    private static string? Value(IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;

    private static IReadOnlySet<string> ModulesOf(V1ConfigMap record) => NodeReadiness.ReadModules(record);
}
