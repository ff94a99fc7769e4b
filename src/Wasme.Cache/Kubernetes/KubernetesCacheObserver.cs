using k8s;
using Microsoft.Extensions.Logging;
using Wasme.Cache.Fetching;
using Wasme.Cache.Storage;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Nodes;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// Turns cache changes into what the cluster sees: Events on the FilterDeployments that reference a
/// module (once per change, not per poll), and the node's <see cref="CacheNodeRecord"/> (through <see cref="NodeRecordWriter"/>).
/// </summary>
public sealed partial class KubernetesCacheObserver : ICacheObserver
{
    private readonly IEventRecorder _events;
    private readonly FilterDeploymentFeed _feed;
    private readonly NodeRecordWriter _record;
    private readonly string _nodeName;
    private readonly ILogger _logger;

    public KubernetesCacheObserver(IKubernetes client, IEventRecorder events, FilterDeploymentFeed feed, string namespaceName, string nodeName, ILogger<KubernetesCacheObserver> logger)
    {
        _events = events;
        _feed = feed;
        _record = new NodeRecordWriter(new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type), namespaceName, nodeName, new NodeOwner(client, nodeName, logger));
        _nodeName = nodeName;
        _logger = logger;
    }

    public async Task ModuleStoredAsync(WantedModule wanted, ModuleEntry entry, CancellationToken cancellationToken)
    {
        foreach (var resource in _feed.Referencing(wanted.Module))
        {
            await _events.RecordAsync(resource, EventTypes.Normal, "ModuleCached",
                $"Module sha256:{wanted.Module.Hex} ({entry.Length} bytes) is cached on node {_nodeName}", cancellationToken);
        }
    }

    public async Task ModuleFailedAsync(WantedModule wanted, string reason, CancellationToken cancellationToken)
    {
        foreach (var resource in _feed.Referencing(wanted.Module))
        {
            await _events.RecordAsync(resource, EventTypes.Warning, "ModuleFetchFailed",
                $"Node {_nodeName} cannot fetch module sha256:{wanted.Module.Hex} from {wanted.Image}: {reason}", cancellationToken);
        }
    }

    public async Task HeldModulesChangedAsync(IReadOnlySet<ModuleDigest> held, CancellationToken cancellationToken)
    {
        await _record.WriteAsync(held.Select(d => d.Hex), cancellationToken);
        LogPublished(_logger, _nodeName, held.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} readiness published: {Count} modules held")]
    private static partial void LogPublished(ILogger logger, string node, int count);
}
