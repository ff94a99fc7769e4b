using k8s;
using k8s.Models;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Typed access to one kind, the way controller-runtime's client reads and writes: list, watch,
/// get, create, replace (with resourceVersion, so a stale write gets 409), status, merge patch, delete.
/// </summary>
public interface IResourceClient<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    ResourceType Type { get; }

    Task<ResourceList<T>> ListAsync(string? namespaceName, string? labelSelector, CancellationToken cancellationToken);

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> with bookmarks, through the same label selector as the list (an
    /// object that stops matching arrives as DELETED); a 410 Gone surfaces as <see cref="ResourceExpiredException"/>.
    /// </summary>
    IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string? namespaceName, string? labelSelector, string resourceVersion, CancellationToken cancellationToken);

    /// <summary>Reads one object; <c>null</c> when it does not exist.</summary>
    Task<T?> GetAsync(string? namespaceName, string name, CancellationToken cancellationToken);

    Task<T> CreateAsync(T resource, CancellationToken cancellationToken);

    Task<T> ReplaceAsync(T resource, CancellationToken cancellationToken);

    Task<T> ReplaceStatusAsync(T resource, CancellationToken cancellationToken);

    Task<T> MergePatchAsync(string? namespaceName, string name, string patchJson, CancellationToken cancellationToken);

    /// <summary>Deletes one object, only if its uid still matches; returns <c>false</c> when it was already gone.</summary>
    Task<bool> DeleteAsync(string? namespaceName, string name, string? uid, CancellationToken cancellationToken);
}
