using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Kubernetes.Nodes;

namespace Wasme.Cli.Commands.Istio;

/// <summary>
/// <c>deploy istio</c> writes a FilterDeployment named by the filter id and lets the operator and the cache serve it,
/// exactly as they serve one from Git: the operator writes the EnvoyFilters (owned, so they go with it) and the cache
/// fetches the module onto every node. An annotation marks it as the CLI's, so <c>undeploy</c> deletes only that and
/// <c>deploy</c> never takes over a FilterDeployment (or its objects) someone else wrote.
/// </summary>
internal sealed class ImperativeFilterDeployment(IKubernetes client, TimeProvider timeProvider)
{
    /// <summary>Annotation on a FilterDeployment made by <c>wasme deploy istio</c>.</summary>
    public const string DeployedByAnnotation = "wasme.io/deployed-by";
    public const string DeployedByValue = "wasme-deploy-istio";

    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    // Ready=False reasons that no amount of waiting fixes; anything else (registry down, operator busy) may still pass.
    private static readonly HashSet<string> TerminalReasons =
        ["InvalidSpec", "InvalidConfiguration", "InvalidReference", "InvalidImage", "ImageNotFound", "Unauthorized", "PullSecretInvalid", "Conflict", "NameConflict", "CrdNotInstalled"];

    /// <summary>
    /// Who, other than this command, holds filter id <paramref name="id"/> or one of the objects it would produce:
    /// null when nothing does. Never overwrite what another owner wrote; name it so the user knows where to look.
    /// </summary>
    public async Task<string?> FindOtherOwnerAsync(string ns, string id, IEnumerable<DesiredResource> produced, CancellationToken cancellationToken)
    {
        var existing = await GetAsync(ns, id, cancellationToken);
        if (existing is not null && !IsOurs(existing))
        {
            return $"FilterDeployment {ns}/{id} exists and was not made by 'wasme deploy istio'; change it with kubectl (or in Git), or choose another --id";
        }

        if (existing is not null && AppliedWith(existing) is { } how)
        {
            return $"FilterDeployment {ns}/{id} was made by 'wasme deploy istio' but is now managed with {how}; change it where it is applied from, "
                + $"or delete it first (kubectl delete filterdeployment {id} -n {ns}) and deploy again";
        }

        if (await FindOtherHolderAsync(ns, id, cancellationToken) is { } name)
        {
            return $"filter id '{id}' belongs to FilterDeployment {ns}/{name}; change that FilterDeployment, or choose another --id";
        }

        foreach (var resource in produced)
        {
            var (group, version, plural) = IstioCluster.Resource(resource.ApiVersion, resource.Kind);
            var current = await IstioCluster.TryGetAsync(client, group, version, ns, plural, resource.Name, cancellationToken);
            var labels = current?["metadata"]?["labels"];
            if (current is null)
            {
                continue;
            }

            if (labels?[WasmeMetadata.ManagedByLabel]?.GetValue<string>() != WasmeMetadata.ManagedByValue)
            {
                return $"{resource.Kind} {ns}/{resource.Name} exists and was not made by wasme; delete it, or choose another --id";
            }

            if (labels?[WasmeMetadata.FilterDeploymentLabel]?.GetValue<string>() is { } owner && owner != id)
            {
                return $"{resource.Kind} {ns}/{resource.Name} is owned by FilterDeployment {ns}/{owner}; change that FilterDeployment, or choose another --id";
            }
        }

        return null;
    }

    /// <summary>The name of a FilterDeployment other than the one named <paramref name="id"/> whose (effective) filter id is <paramref name="id"/>, if any.</summary>
    public async Task<string?> FindOtherHolderAsync(string ns, string id, CancellationToken cancellationToken)
    {
        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync(FilterDeployment.Group, FilterDeployment.Version, ns, FilterDeployment.Plural, cancellationToken: cancellationToken);
        foreach (var item in (JsonNode.Parse(KubernetesJson.Serialize(list))?["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = item["metadata"]?["name"]?.GetValue<string>();
            if (name != id && Parse(item) is { } other && FilterDeploymentValidator.EffectiveId(other) == id)
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>Creates the FilterDeployment, or replaces the spec of the one this command made before; returns what happened.</summary>
    public async Task<string> ApplyAsync(FilterDeployment deployment, CancellationToken cancellationToken)
    {
        var ns = deployment.Metadata.NamespaceProperty;
        var name = deployment.Metadata.Name;
        var manifest = JsonSerializer.SerializeToNode(deployment, IstioJsonContext.Default.FilterDeployment)!.AsObject();
        manifest.Remove("status");
        var metadata = manifest["metadata"]!.AsObject();
        metadata["labels"] = new JsonObject { [WasmeMetadata.ManagedByLabel] = WasmeMetadata.ManagedByValue };
        metadata["annotations"] = new JsonObject { [DeployedByAnnotation] = DeployedByValue };
        var current = await GetAsync(ns, name, cancellationToken);
        if (current is null)
        {
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(manifest, FilterDeployment.Group, FilterDeployment.Version, ns, FilterDeployment.Plural, cancellationToken: cancellationToken);
            return "created";
        }

        if (current["metadata"]?["deletionTimestamp"] is not null)
        {
            // Its finalizer is still cleaning up: what is written now would vanish with it, and nothing would say so.
            throw new CommandException(
                ExitCodes.Failure,
                $"FilterDeployment {ns}/{name} is being deleted (the operator is still removing what it made); nothing was written",
                $"  fix: wait for it to go ('wasme undeploy istio --id {name} -n {ns}' waits), then deploy again");
        }

        if (JsonNode.DeepEquals(current["spec"], manifest["spec"]))
        {
            return "unchanged";
        }

        // Replace the spec of the object as it stands: a PUT of fresh metadata would drop the operator's finalizer (so an
        // undeploy at that moment would skip its clean-up) and whatever labels or annotations others added.
        var replacement = current.DeepClone().AsObject();
        replacement.Remove("status");
        replacement["spec"] = manifest["spec"]!.DeepClone();
        var currentMetadata = replacement["metadata"]!.AsObject();
        ChildObject(currentMetadata, "labels")[WasmeMetadata.ManagedByLabel] = WasmeMetadata.ManagedByValue;
        ChildObject(currentMetadata, "annotations")[DeployedByAnnotation] = DeployedByValue;
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(replacement, FilterDeployment.Group, FilterDeployment.Version, ns, FilterDeployment.Plural, name, cancellationToken: cancellationToken);
        return "configured";
    }

    /// <summary>
    /// Waits until the operator has applied the current generation (Ready) and, for Remote and HostPath, until every
    /// node's cache holds the module: the filter then loads. Returns null when done, else why not.
    /// </summary>
    public async Task<WaitOutcome> WaitUntilServedAsync(string ns, string name, string cacheNamespace, bool needsCache, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + timeout;
        var last = "the wasme operator has not reported on it yet; is it running? (kubectl get pods -n wasme)";
        while (true)
        {
            var current = await GetAsync(ns, name, cancellationToken);
            var ready = Condition(current, "Ready");
            var generation = current?["metadata"]?["generation"]?.GetValue<long>();
            if (ready is not null && ready["observedGeneration"]?.GetValue<long>() >= generation)
            {
                var status = ready["status"]?.GetValue<string>();
                var reason = ready["reason"]?.GetValue<string>() ?? string.Empty;
                var message = ready["message"]?.GetValue<string>() ?? string.Empty;
                if (status == "True")
                {
                    var module = current?["status"]?["moduleSha256"]?.GetValue<string>();
                    if (!needsCache || module is null)
                    {
                        return WaitOutcome.Done(message);
                    }

                    if (await NotYetCachedAsync(cacheNamespace, module, cancellationToken) is not { } notCached)
                    {
                        return WaitOutcome.Done(message);
                    }

                    last = notCached;
                }
                else if (reason == "NoMatchingWorkloads")
                {
                    // Nothing to wait for, and nothing served either: say so rather than report it Ready.
                    return WaitOutcome.Unmatched(message);
                }
                else if (TerminalReasons.Contains(reason))
                {
                    return WaitOutcome.Failed($"{reason}: {message}");
                }
                else
                {
                    last = $"{reason}: {message}";
                }
            }

            if (timeProvider.GetUtcNow() >= deadline)
            {
                return WaitOutcome.TimedOut(last);
            }

            await Task.Delay(PollInterval, timeProvider, cancellationToken);
        }
    }

    /// <summary>Deletes the FilterDeployment this command made (never another's); returns null when there is none.</summary>
    public async Task<string?> DeleteAsync(string ns, string name, bool dryRun, CancellationToken cancellationToken)
    {
        var current = await GetAsync(ns, name, cancellationToken);
        if (current is null)
        {
            return null;
        }

        if (!IsOurs(current))
        {
            throw new CommandException(ExitCodes.Failure, $"FilterDeployment {ns}/{name} was not made by 'wasme deploy istio'; delete it with kubectl (or from Git) if you mean to");
        }

        if (AppliedWith(current) is { } how)
        {
            throw new CommandException(
                ExitCodes.Failure,
                $"FilterDeployment {ns}/{name} was made by 'wasme deploy istio' but is now managed with {how}; nothing was deleted",
                $"  fix: remove it where it is applied from, or delete it with kubectl delete filterdeployment {name} -n {ns}");
        }

        if (!dryRun)
        {
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync(FilterDeployment.Group, FilterDeployment.Version, ns, FilterDeployment.Plural, name, cancellationToken: cancellationToken);
        }

        return dryRun ? "would be deleted" : "deleted";
    }

    /// <summary>Waits until the operator's finalizer has removed what it made and the FilterDeployment is gone.</summary>
    public async Task<bool> WaitUntilGoneAsync(string ns, string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + timeout;
        while (await GetAsync(ns, name, cancellationToken) is not null)
        {
            if (timeProvider.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(PollInterval, timeProvider, cancellationToken);
        }

        return true;
    }

    /// <summary>Null once every node's cache reports the module (its CacheNodeRecord lists it), else what is missing.</summary>
    private async Task<string?> NotYetCachedAsync(string cacheNamespace, string module, CancellationToken cancellationToken)
    {
        object list;
        try
        {
            list = await client.CustomObjects.ListNamespacedCustomObjectAsync(CacheNodeRecord.Group, CacheNodeRecord.Version, cacheNamespace, CacheNodeRecord.Plural, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // A list 404s only when the kind is not served: wasme installed from a release before CacheNodeRecords.
            return $"the cluster does not serve CacheNodeRecords ({CacheNodeRecord.Group}/{CacheNodeRecord.Version}), where the wasme caches report what they hold: install this release's deploy/ (docs/install.md, Upgrading)";
        }

        var records = JsonSerializer.Deserialize(KubernetesJson.Serialize(list), CacheNodeRecordJsonContext.Default.ResourceListCacheNodeRecord)?.Items ?? [];
        if (records.Count == 0)
        {
            return $"no wasme cache has reported in namespace {cacheNamespace} yet; is it installed? (kubectl get daemonset -n {cacheNamespace})";
        }

        var missing = records.Where(r => !r.HeldModules().Contains(module)).Select(r => r.NodeName).Order(StringComparer.Ordinal).ToList();
        return missing.Count == 0 ? null : $"the module sha256:{module} is not yet cached on {string.Join(", ", missing)}";
    }

    private Task<JsonObject?> GetAsync(string ns, string name, CancellationToken cancellationToken) =>
        IstioCluster.TryGetAsync(client, FilterDeployment.Group, FilterDeployment.Version, ns, FilterDeployment.Plural, name, cancellationToken);

    private static JsonObject ChildObject(JsonObject parent, string name)
    {
        if (parent[name] is not JsonObject child)
        {
            child = [];
            parent[name] = child;
        }

        return child;
    }

    /// <summary>
    /// How the FilterDeployment is applied declaratively now, if it is. Once someone runs <c>kubectl apply</c> on it (client- or
    /// server-side), its file or Git is where it is changed: a deploy would be undone by the next apply (or fight a GitOps
    /// sync), and an undeploy would delete what that sync recreates. The annotation alone no longer makes it ours.
    /// </summary>
    private static string? AppliedWith(JsonObject deployment)
    {
        var metadata = deployment["metadata"];
        if (metadata?["annotations"]?[LastAppliedAnnotation] is not null)
        {
            return $"kubectl apply (it carries {LastAppliedAnnotation})";
        }

        var managers = (metadata?["managedFields"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(f => f["operation"]?.GetValue<string>() == "Apply")
            .Select(f => f["manager"]?.GetValue<string>() ?? "(unnamed)")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return managers.Count == 0 ? null : $"server-side apply (field manager {string.Join(", ", managers)})";
    }

    private static bool IsOurs(JsonObject deployment) =>
        deployment["metadata"]?["annotations"]?[DeployedByAnnotation]?.GetValue<string>() == DeployedByValue;

    private static JsonObject? Condition(JsonObject? deployment, string type) =>
        (deployment?["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);

    private static FilterDeployment? Parse(JsonObject item)
    {
        try
        {
            return item.Deserialize(IstioJsonContext.Default.FilterDeployment);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>How waiting for the operator and the cache ended.</summary>
internal sealed record WaitOutcome(bool Succeeded, bool Expired, string Message, bool NoWorkloads = false)
{
    public static WaitOutcome Unmatched(string message) => new(true, false, message, NoWorkloads: true);

    public static WaitOutcome Done(string message) => new(true, false, message);

    public static WaitOutcome Failed(string message) => new(false, false, message);

    public static WaitOutcome TimedOut(string message) => new(false, true, message);
}
