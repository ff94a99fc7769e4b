using System.Runtime.CompilerServices;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.HostPath;

/// <summary>
/// Lists and watches the caches' per-node ConfigMaps in one namespace, label-selected, for a
/// <see cref="Wasme.Kubernetes.Caching.ResourceInformer{T}"/>. Read-only: the operator never writes them (the cache is their one writer).
/// </summary>
public sealed class NodeRecordClient : IResourceClient<V1ConfigMap>
{
    private readonly IKubernetes _client;
    private readonly string _labelSelector;

    public NodeRecordClient(IKubernetes client, string labelSelector)
    {
        _client = client;
        _labelSelector = labelSelector;
    }

    public ResourceType Type { get; } = new("", "v1", "configmaps", "ConfigMap");

    public async Task<ResourceList<V1ConfigMap>> ListAsync(string? namespaceName, string? labelSelector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(namespaceName);
        var list = await _client.CoreV1.ListNamespacedConfigMapAsync(namespaceName, labelSelector: _labelSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new ResourceList<V1ConfigMap> { Metadata = list.Metadata ?? new V1ListMeta(), Items = list.Items ?? [] };
    }

    public async IAsyncEnumerable<(WatchEventType Type, V1ConfigMap Object)> WatchAsync(
        string? namespaceName, string? labelSelector, string resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(namespaceName);
        Exception? streamError = null;
        var events = _client.CoreV1.WatchListNamespacedConfigMapAsync(
            namespaceName, allowWatchBookmarks: true, labelSelector: _labelSelector, resourceVersion: resourceVersion,
            onError: e => streamError ??= e, cancellationToken: cancellationToken);
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false) || streamError is not null)
                {
                    break;
                }
            }
            catch (HttpOperationException ex) when (KubernetesErrors.IsGone(ex))
            {
                throw new ResourceExpiredException($"configmaps resourceVersion {resourceVersion} is too old", ex);
            }

            yield return enumerator.Current;
        }

        if (streamError is not null)
        {
            throw KubernetesErrors.IsGone(streamError)
                ? new ResourceExpiredException($"configmaps watch expired at resourceVersion {resourceVersion}", streamError)
                : streamError;
        }
    }

    public Task<V1ConfigMap?> GetAsync(string? namespaceName, string name, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<V1ConfigMap> CreateAsync(V1ConfigMap resource, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<V1ConfigMap> ReplaceAsync(V1ConfigMap resource, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<V1ConfigMap> ReplaceStatusAsync(V1ConfigMap resource, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<V1ConfigMap> MergePatchAsync(string? namespaceName, string name, string patchJson, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<bool> DeleteAsync(string? namespaceName, string name, string? uid, CancellationToken cancellationToken) => throw ReadOnly();

    private static NotSupportedException ReadOnly() => new("the node records are the cache's; the operator only lists and watches them");
}
