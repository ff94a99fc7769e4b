using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Wasme.Kubernetes.Clients;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// The owner reference that ties this node's <c>CacheNodeRecord</c> to its Node, so the API server's garbage collector
/// deletes the record with the Node (as it does the kubelet's node Lease), and a Node created again under the same name
/// (a new uid, an empty disk) does not inherit it. Read once, with <c>get</c> on the one Node; needs nothing else.
/// </summary>
public sealed partial class NodeOwner
{
    private readonly IKubernetes _client;
    private readonly string _nodeName;
    private readonly ILogger _logger;
    private V1OwnerReference? _owner;
    private bool _settled;

    public NodeOwner(IKubernetes client, string nodeName, ILogger logger)
    {
        _client = client;
        _nodeName = nodeName;
        _logger = logger;
    }

    /// <summary>
    /// The Node's owner reference, or null when the cluster has no Node of that name (a cache run by hand with
    /// <c>--node-name</c>) or the cache may not read it (RBAC of an earlier release): the record is then written without one.
    /// Any other failure is thrown, so the write is retried at the next pass.
    /// </summary>
    public async Task<V1OwnerReference?> GetAsync(CancellationToken cancellationToken)
    {
        if (_settled)
        {
            return _owner;
        }

        try
        {
            var node = await _client.CoreV1.ReadNodeAsync(_nodeName, cancellationToken: cancellationToken);
            // Neither controller nor blockOwnerDeletion: the record must not hold up the Node's deletion, and setting
            // blockOwnerDeletion would need update on nodes/finalizers where OwnerReferencesPermissionEnforcement is on.
            _owner = new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = node.Metadata.Name, Uid = node.Metadata.Uid };
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            LogNoNode(_logger, _nodeName);
        }
        catch (Exception ex) when (KubernetesErrors.StatusOf(ex) == HttpStatusCode.Forbidden)
        {
            LogForbidden(_logger, _nodeName);
        }

        _settled = true;
        return _owner;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No Node {Node} in this cluster: its CacheNodeRecord is written without an owner, so nothing deletes it when the node goes")]
    private static partial void LogNoNode(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cache may not get Node {Node}: its CacheNodeRecord is written without an owner, so it outlives the node. Apply this release's deploy/ (ClusterRole wasme-cache grants get on nodes)")]
    private static partial void LogForbidden(ILogger logger, string node);
}
