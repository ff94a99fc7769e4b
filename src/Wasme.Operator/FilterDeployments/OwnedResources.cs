using Wasme.Istio.Translation;
using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// The EnvoyFilters and WasmPlugins the operator made, found by the <c>wasme.io/filter-deployment</c> label in
/// the informer caches, and written with optimistic concurrency: updates carry the cached resourceVersion and
/// deletes the cached uid, so a stale cache costs a 409 and a retry, never a lost or duplicated object.
/// </summary>
public sealed class OwnedResources
{
    private readonly Dictionary<string, (ResourceInformer<GenericResource> Informer, IResourceClient<GenericResource> Client)> _kinds;

    public OwnedResources(
        ResourceInformer<GenericResource> envoyFilters, IResourceClient<GenericResource> envoyFilterClient,
        ResourceInformer<GenericResource> wasmPlugins, IResourceClient<GenericResource> wasmPluginClient)
    {
        _kinds = new(StringComparer.Ordinal)
        {
            [ResourceType.EnvoyFilter.Kind] = (envoyFilters, envoyFilterClient),
            [ResourceType.WasmPlugin.Kind] = (wasmPlugins, wasmPluginClient),
        };
    }

    /// <summary>
    /// The objects that name the FilterDeployment (by uid) as owner: a label alone can be copied onto a foreign object, which
    /// must never be updated or deleted, and taken off one of ours by hand, which must then be put back, not lost track of.
    /// Without a uid, those labelled for it.
    /// </summary>
    public IReadOnlyList<GenericResource> OwnedBy(string? namespaceName, string filterDeploymentName, string? filterDeploymentUid) =>
        [.. _kinds.Values
            .SelectMany(k => k.Informer.List(namespaceName))
            .Where(r => filterDeploymentUid is not null
                ? IsOwnedBy(r, filterDeploymentUid)
                : r.Metadata.Labels?.TryGetValue(WasmeMetadata.FilterDeploymentLabel, out var owner) == true && owner == filterDeploymentName)
            .OrderBy(r => r.Kind, StringComparer.Ordinal)
            .ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>The types among <paramref name="kinds"/> the API server does not serve (their CRDs are not installed).</summary>
    public IReadOnlyList<ResourceType> NotServed(IEnumerable<string> kinds) =>
        [.. kinds.Distinct(StringComparer.Ordinal).Where(k => _kinds.TryGetValue(k, out var kind) && !kind.Informer.IsServed).Select(k => _kinds[k].Informer.Type)];

    /// <summary>Carries out <paramref name="action"/>; returns the write actually made (an update where a create found ours), or null for none.</summary>
    public async Task<ResourceActionKind?> ExecuteAsync(ResourceAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var (informer, client) = _kinds[action.ResourceKind];
        switch (action.Kind)
        {
            case ResourceActionKind.Create:
                try
                {
                    informer.Remember(await client.CreateAsync(GenericResource.FromManifest(action.Desired!.Manifest), cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (KubernetesErrors.IsAlreadyExists(ex))
                {
                    var existing = await client.GetAsync(action.Namespace, action.Name, cancellationToken).ConfigureAwait(false);
                    var ownerUid = OwnerUid(action.Desired!.Manifest);
                    if (existing is not null && (ownerUid is null || !IsOwnedBy(existing, ownerUid)))
                    {
                        throw new NameConflictException(DescribeHolder(action, existing), ex);
                    }

                    if (existing is null)
                    {
                        // Deleted since: the retry creates it.
                        throw;
                    }

                    // Ours but not in the cache: a restart, a lost race, or the label the cache selects by taken off by hand.
                    // Put the desired state back on it now rather than fail this pass and every later one the same way.
                    if (ResourcePlan.Matches(action.Desired.Manifest, existing))
                    {
                        informer.Remember(existing);
                        return null;
                    }

                    informer.Remember(await ReplaceAsync(client, action.Desired.Manifest, existing.Metadata.ResourceVersion, cancellationToken).ConfigureAwait(false));
                    return ResourceActionKind.Update;
                }

                return ResourceActionKind.Create;
            case ResourceActionKind.Update:
                informer.Remember(await ReplaceAsync(client, action.Desired!.Manifest, action.Current!.Metadata.ResourceVersion, cancellationToken).ConfigureAwait(false));
                return ResourceActionKind.Update;
            default:
                await client.DeleteAsync(action.Namespace, action.Name, action.Current?.Metadata.Uid, cancellationToken).ConfigureAwait(false);
                informer.Forget(new ObjectKey(action.Namespace, action.Name));
                return ResourceActionKind.Delete;
        }
    }

    private static Task<GenericResource> ReplaceAsync(IResourceClient<GenericResource> client, System.Text.Json.Nodes.JsonObject desired, string? resourceVersion, CancellationToken cancellationToken)
    {
        var manifest = desired.DeepClone().AsObject();
        manifest["metadata"]!["resourceVersion"] = resourceVersion;
        return client.ReplaceAsync(GenericResource.FromManifest(manifest), cancellationToken);
    }

    private static bool IsOwnedBy(GenericResource resource, string uid) =>
        resource.Metadata.OwnerReferences?.Any(o => o.Uid == uid) == true;

    private static string? OwnerUid(System.Text.Json.Nodes.JsonObject manifest) =>
        manifest["metadata"]?["ownerReferences"]?.AsArray().Select(o => o?["uid"]?.GetValue<string>()).FirstOrDefault(u => u is not null);

    private static string DescribeHolder(ResourceAction action, GenericResource existing)
    {
        var owner = existing.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true) ?? existing.Metadata.OwnerReferences?.FirstOrDefault();
        var holder = owner is null ? "no owner" : $"owned by {owner.Kind} {owner.Name}";
        return $"{action.ResourceKind} {action.Namespace}/{action.Name} already exists ({holder}) and is not owned by this FilterDeployment; "
            + $"wasme does not overwrite it: change spec.filter.id, or remove the other {action.ResourceKind}";
    }
}
