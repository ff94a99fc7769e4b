using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Nodes;

namespace Wasme.Operator.HostPath;

/// <summary>
/// What each node's cache says it holds: the <see cref="CacheNodeRecord"/>s in the cache's namespace, one per node, named
/// after it (docs/cache.md, "Readiness per node"). This is the operator's half of that contract: it lists and watches
/// them and never writes them (the cache is their one writer).
/// </summary>
public sealed class NodeModuleRecords
{
    private readonly ResourceInformer<CacheNodeRecord> _informer;

    public NodeModuleRecords(ResourceInformer<CacheNodeRecord> informer, string cacheNamespace)
    {
        _informer = informer;
        Namespace = cacheNamespace;
    }

    /// <summary>Where the caches write their records (the operator's <c>--cache-namespace</c>).</summary>
    public string Namespace { get; }

    /// <summary>False until the records were listed once (then an absent record means a node without a running cache).</summary>
    public bool HasSynced => _informer.HasSynced;

    /// <summary>False while the API server does not serve CacheNodeRecords (their CRD is not installed).</summary>
    public bool IsServed => _informer.IsServed;

    /// <summary>Node name to the module hashes its cache holds, as of the informer's last event.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Snapshot() =>
        _informer.List(Namespace).ToDictionary(r => r.NodeName, r => r.HeldModules(), StringComparer.Ordinal);
}
