using System.Net;
using System.Runtime.CompilerServices;
using k8s;
using k8s.Autorest;
using k8s.Models;
using System.Text.Json;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// <see cref="IResourceClient{T}"/> over KubernetesClient's generic custom-object operations, which
/// address any <c>/apis/&lt;group&gt;/&lt;version&gt;</c> resource (apps workloads, Istio kinds, FilterDeployments).
/// Every write first passes the <see cref="IWriteFence"/>, if one is given (the leader's Lease).
/// </summary>
public sealed class KubernetesResourceClient<T> : IResourceClient<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IKubernetes _client;
    private readonly IWriteFence? _fence;

    public KubernetesResourceClient(IKubernetes client, ResourceType type, IWriteFence? fence = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(type.Group, nameof(type));
        _client = client;
        _fence = fence;
        Type = type;
    }

    public ResourceType Type { get; }

    public async Task<ResourceList<T>> ListAsync(string? namespaceName, string? labelSelector, CancellationToken cancellationToken)
    {
        using var response = namespaceName is null
            ? await _client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<ResourceList<T>>(
                Type.Group, Type.Version, Type.Plural, labelSelector: labelSelector, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<ResourceList<T>>(
                Type.Group, Type.Version, namespaceName, Type.Plural, labelSelector: labelSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Body;
    }

    public async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(
        string? namespaceName, string? labelSelector, string resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The client reports in-stream ERROR events (a Status, typically 410) through this callback
        // and keeps reading; stop at the first one so the informer can decide what to do.
        Exception? streamError = null;
        var events = namespaceName is null
            ? _client.CustomObjects.WatchListClusterCustomObjectAsync(
                Type.Group, Type.Version, Type.Plural, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                onError: e => streamError ??= e, cancellationToken: cancellationToken)
            : _client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                Type.Group, Type.Version, namespaceName, Type.Plural, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                onError: e => streamError ??= e, cancellationToken: cancellationToken);

        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            (WatchEventType Type, object Object) current;
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false) || streamError is not null)
                {
                    break;
                }

                current = enumerator.Current;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Gone)
            {
                throw new ResourceExpiredException($"{Type} resourceVersion {resourceVersion} is too old", ex);
            }
            catch (HttpRequestException ex) when (ex.InnerException is EndOfStreamException)
            {
                // KubernetesClient reports a watch response that ends normally (kube-apiserver's watch timeout, a proxy's
                // idle cut) as a failed read past its end: that is the watch's end, not an error.
                break;
            }

            var element = current.Object is JsonElement json ? json : JsonSerializer.SerializeToElement(current.Object, KubernetesResourceJsonContext.Default.Object);
            yield return (current.Type, KubernetesJson.Deserialize<T>(element));
        }

        if (streamError is not null)
        {
            throw KubernetesErrors.IsGone(streamError)
                ? new ResourceExpiredException($"{Type} watch expired at resourceVersion {resourceVersion}", streamError)
                : streamError;
        }
    }

    public async Task<T?> GetAsync(string? namespaceName, string name, CancellationToken cancellationToken)
    {
        try
        {
            using var response = namespaceName is null
                ? await _client.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<T>(Type.Group, Type.Version, Type.Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await _client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<T>(Type.Group, Type.Version, namespaceName, Type.Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Body;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<T> CreateAsync(T resource, CancellationToken cancellationToken)
    {
        _fence?.EnsureMayWrite();
        Stamp(resource);
        var ns = resource.Metadata.NamespaceProperty;
        using var response = ns is null
            ? await _client.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<T>(resource, Type.Group, Type.Version, Type.Plural, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _client.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<T>(resource, Type.Group, Type.Version, ns, Type.Plural, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Body;
    }

    public async Task<T> ReplaceAsync(T resource, CancellationToken cancellationToken)
    {
        _fence?.EnsureMayWrite();
        Stamp(resource);
        var ns = resource.Metadata.NamespaceProperty;
        using var response = ns is null
            ? await _client.CustomObjects.ReplaceClusterCustomObjectWithHttpMessagesAsync<T>(resource, Type.Group, Type.Version, Type.Plural, resource.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _client.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<T>(resource, Type.Group, Type.Version, ns, Type.Plural, resource.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Body;
    }

    public async Task<T> ReplaceStatusAsync(T resource, CancellationToken cancellationToken)
    {
        _fence?.EnsureMayWrite();
        Stamp(resource);
        var ns = resource.Metadata.NamespaceProperty;
        using var response = ns is null
            ? await _client.CustomObjects.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<T>(resource, Type.Group, Type.Version, Type.Plural, resource.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<T>(resource, Type.Group, Type.Version, ns, Type.Plural, resource.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Body;
    }

    public async Task<T> MergePatchAsync(string? namespaceName, string name, string patchJson, CancellationToken cancellationToken)
    {
        _fence?.EnsureMayWrite();
        var patch = new V1Patch(patchJson, V1Patch.PatchType.MergePatch);
        using var response = namespaceName is null
            ? await _client.CustomObjects.PatchClusterCustomObjectWithHttpMessagesAsync<T>(patch, Type.Group, Type.Version, Type.Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _client.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync<T>(patch, Type.Group, Type.Version, namespaceName, Type.Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Body;
    }

    public async Task<bool> DeleteAsync(string? namespaceName, string name, string? uid, CancellationToken cancellationToken)
    {
        _fence?.EnsureMayWrite();
        var options = new V1DeleteOptions
        {
            Preconditions = uid is null ? null : new V1Preconditions { Uid = uid },
            PropagationPolicy = "Background",
        };
        try
        {
            using var response = namespaceName is null
                ? await _client.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync<object>(Type.Group, Type.Version, Type.Plural, name, options, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await _client.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync<object>(Type.Group, Type.Version, namespaceName, Type.Plural, name, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    // Generic bodies are serialized as they are; make sure kind and apiVersion are on the wire.
    private void Stamp(T resource)
    {
        resource.ApiVersion ??= Type.ApiVersion;
        resource.Kind ??= Type.Kind;
    }
}
