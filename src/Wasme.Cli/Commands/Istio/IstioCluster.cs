using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Istio.Api;
using Wasme.Istio.Rendering;
using Wasme.Istio.Translation;
using Wasme.Istio.Versions;
using Wasme.Istio.Workloads;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Configuration;

namespace Wasme.Cli.Commands.Istio;

/// <summary>The Kubernetes API calls <c>deploy istio</c> and <c>undeploy istio</c> make about workloads, Istio and objects an older CLI wrote.</summary>
internal sealed class IstioCluster(IKubernetes client)
{
    /// <summary>A client for the kubeconfig's cluster; throws <see cref="ClusterConfigException"/> naming what was tried.</summary>
    public static async Task<IKubernetes> ConnectAsync(CliContext context, string? kubeconfig, Infrastructure.Verbosity verbosity, CancellationToken cancellationToken) =>
        KubernetesClientFactory.Create(await ClusterConfig.LoadAsync(context.GetEnvironmentVariable, kubeconfig, preferInCluster: false, cancellationToken), "wasme", context.TimeProvider, new Clusters.KubernetesTraceHandler(context, verbosity));

    public async Task<IReadOnlyList<WorkloadDocument>> ListWorkloadsAsync(string ns, WorkloadKind kind, CancellationToken cancellationToken)
    {
        var result = new List<WorkloadDocument>();
        switch (kind)
        {
            case WorkloadKind.Deployment:
                foreach (var item in (await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: cancellationToken)).Items)
                {
                    result.Add(new(Workload.From(item), Manifest(item, "Deployment")));
                }

                break;
            case WorkloadKind.DaemonSet:
                foreach (var item in (await client.AppsV1.ListNamespacedDaemonSetAsync(ns, cancellationToken: cancellationToken)).Items)
                {
                    result.Add(new(Workload.From(item), Manifest(item, "DaemonSet")));
                }

                break;
            default:
                foreach (var item in (await client.AppsV1.ListNamespacedStatefulSetAsync(ns, cancellationToken: cancellationToken)).Items)
                {
                    result.Add(new(Workload.From(item), Manifest(item, "StatefulSet")));
                }

                break;
        }

        return result;
    }

    /// <summary>
    /// The Istio release serving <paramref name="targetNamespace"/>: the istiod of the namespace's <c>istio.io/rev</c>
    /// revision (or the one given), found by label rather than by the name <c>istiod</c> (original issue #245).
    /// </summary>
    public async Task<(IstioVersion? Version, string Source)> DetectIstioVersionAsync(string istioNamespace, string targetNamespace, string? revision, CancellationToken cancellationToken)
    {
        // Both reads reach outside what a namespace's own users are usually granted (the Namespace object, istio-system):
        // refused, the release is unknown and the caller says so, rather than the whole deploy failing with a 403.
        var revisionUnknown = false;
        if (revision is null)
        {
            try
            {
                var ns = await client.CoreV1.ReadNamespaceAsync(targetNamespace, cancellationToken: cancellationToken);
                revision = IstiodVersion.RevisionOf(ns.Metadata?.Labels);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // A missing namespace has no revision; writing into it reports it.
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                revisionUnknown = true;
            }
        }

        IList<V1Deployment> istiods;
        try
        {
            istiods = (await client.AppsV1.ListNamespacedDeploymentAsync(istioNamespace, labelSelector: IstiodVersion.IstiodSelector, cancellationToken: cancellationToken)).Items;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            return (null, $"cannot read the Istio release: not allowed to list Deployments in {istioNamespace} (where istiod runs)");
        }

        var (version, source) = IstiodVersion.Find(istiods, istioNamespace, revision);
        return revisionUnknown
            ? (version, $"{source}; not allowed to read namespace {targetNamespace}, so its istio.io/rev label is unknown and the default revision was taken (--istio-revision names it)")
            : (version, source);
    }

    /// <summary>Whether the namespace exists; null when the user may not read Namespaces (so it is unknown).</summary>
    public async Task<bool?> NamespaceExistsAsync(string ns, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    /// <summary>Deletes <c>&lt;workload&gt;-&lt;id&gt;</c> if wasme's CLI made it for this filter; returns what happened.</summary>
    public async Task<string?> DeleteIfOursAsync(string apiVersion, string kind, string ns, string name, string filterId, bool dryRun, CancellationToken cancellationToken)
    {
        var (group, version, plural) = Resource(apiVersion, kind);
        JsonObject? current;
        try
        {
            current = await GetAsync(group, version, ns, plural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null; // The kind itself is not served (e.g. no WasmPlugin CRD): nothing of ours there.
        }

        var labels = current?["metadata"]?["labels"];
        if (current is null
            || labels?[WasmeMetadata.ManagedByLabel]?.GetValue<string>() != WasmeMetadata.ManagedByValue
            || labels?[WasmeMetadata.FilterIdLabel]?.GetValue<string>() != filterId)
        {
            return null;
        }

        if (current["metadata"]?["ownerReferences"] is JsonArray { Count: > 0 })
        {
            return "left alone (owned by a FilterDeployment; delete that instead)";
        }

        if (!dryRun)
        {
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, version, ns, plural, name, cancellationToken: cancellationToken);
        }

        return dryRun ? "would be deleted" : "deleted";
    }

    /// <summary>Sets and removes pod-template annotations with a JSON merge patch (null removes a key).</summary>
    public async Task PatchPodTemplateAnnotationsAsync(Workload workload, AnnotationChanges changes, CancellationToken cancellationToken)
    {
        var annotations = new JsonObject();
        foreach (var key in changes.Remove)
        {
            annotations[key] = null;
        }

        foreach (var (key, value) in changes.Set)
        {
            annotations[key] = value;
        }

        var body = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } } } };
        var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch);
        switch (workload.Kind)
        {
            case WorkloadKind.Deployment:
                await client.AppsV1.PatchNamespacedDeploymentAsync(patch, workload.Name, workload.Namespace, cancellationToken: cancellationToken);
                break;
            case WorkloadKind.DaemonSet:
                await client.AppsV1.PatchNamespacedDaemonSetAsync(patch, workload.Name, workload.Namespace, cancellationToken: cancellationToken);
                break;
            default:
                await client.AppsV1.PatchNamespacedStatefulSetAsync(patch, workload.Name, workload.Namespace, cancellationToken: cancellationToken);
                break;
        }
    }

    private Task<JsonObject?> GetAsync(string group, string version, string ns, string plural, string name, CancellationToken cancellationToken) =>
        TryGetAsync(client, group, version, ns, plural, name, cancellationToken);

    /// <summary>The object, or null when it does not exist (a kind that is not served still throws).</summary>
    public static async Task<JsonObject?> TryGetAsync(IKubernetes client, string group, string version, string ns, string plural, string name, CancellationToken cancellationToken)
    {
        try
        {
            var body = await client.CustomObjects.GetNamespacedCustomObjectAsync(group, version, ns, plural, name, cancellationToken);
            return JsonNode.Parse(KubernetesJson.Serialize(body)) as JsonObject;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && !e.Response.Content.Contains("the server could not find the requested resource", StringComparison.Ordinal))
        {
            return null;
        }
    }

    public static (string Group, string Version, string Plural) Resource(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return (apiVersion[..slash], apiVersion[(slash + 1)..], kind.ToLowerInvariant() + "s");
    }

    private static JsonObject Manifest<T>(T item, string kind)
        where T : IKubernetesObject
    {
        var manifest = JsonNode.Parse(KubernetesJson.Serialize(item))!.AsObject();
        var ordered = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = kind };
        foreach (var (key, value) in manifest.ToList())
        {
            if (key is not "apiVersion" and not "kind")
            {
                manifest.Remove(key);
                ordered[key] = value;
            }
        }

        return ordered;
    }
}
