using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Istio.Workloads;
using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// The three workload kinds a FilterDeployment can select, read from their informers and written
/// with merge patches that carry the resourceVersion (so a concurrent change gets 409, not lost).
/// </summary>
public sealed class WorkloadCatalog
{
    private readonly Source<V1Deployment> _deployments;
    private readonly Source<V1DaemonSet> _daemonSets;
    private readonly Source<V1StatefulSet> _statefulSets;

    public WorkloadCatalog(
        ResourceInformer<V1Deployment> deployments, IResourceClient<V1Deployment> deploymentClient,
        ResourceInformer<V1DaemonSet> daemonSets, IResourceClient<V1DaemonSet> daemonSetClient,
        ResourceInformer<V1StatefulSet> statefulSets, IResourceClient<V1StatefulSet> statefulSetClient)
    {
        _deployments = new(deployments, deploymentClient, Workload.From);
        _daemonSets = new(daemonSets, daemonSetClient, Workload.From);
        _statefulSets = new(statefulSets, statefulSetClient, Workload.From);
    }

    /// <summary>Every workload of every kind in the namespace, as the translation reads them.</summary>
    public IReadOnlyList<Workload> InNamespace(string namespaceName) =>
        [.. _deployments.List(namespaceName), .. _daemonSets.List(namespaceName), .. _statefulSets.List(namespaceName)];

    public Workload? Find(WorkloadKind kind, string namespaceName, string name) => kind switch
    {
        WorkloadKind.DaemonSet => _daemonSets.Find(namespaceName, name),
        WorkloadKind.StatefulSet => _statefulSets.Find(namespaceName, name),
        _ => _deployments.Find(namespaceName, name),
    };

    /// <summary>Applies pod-template annotation edits to the cached version of the workload; returns false when it is gone.</summary>
    public Task<bool> PatchPodTemplateAnnotationsAsync(Workload workload, AnnotationChanges changes, CancellationToken cancellationToken) => workload.Kind switch
    {
        WorkloadKind.DaemonSet => _daemonSets.PatchAsync(workload, changes, cancellationToken),
        WorkloadKind.StatefulSet => _statefulSets.PatchAsync(workload, changes, cancellationToken),
        _ => _deployments.PatchAsync(workload, changes, cancellationToken),
    };

    private sealed class Source<T>(ResourceInformer<T> informer, IResourceClient<T> client, Func<T, Workload> toWorkload)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        public IEnumerable<Workload> List(string namespaceName) => informer.List(namespaceName).Select(toWorkload);

        public Workload? Find(string namespaceName, string name) =>
            informer.Get(new ObjectKey(namespaceName, name)) is { } item ? toWorkload(item) : null;

        public async Task<bool> PatchAsync(Workload workload, AnnotationChanges changes, CancellationToken cancellationToken)
        {
            var current = informer.Get(new ObjectKey(workload.Namespace, workload.Name));
            if (current is null)
            {
                return false;
            }

            var annotations = new JsonObject();
            foreach (var key in changes.Remove)
            {
                annotations[key] = null;
            }

            foreach (var (key, value) in changes.Set)
            {
                annotations[key] = value;
            }

            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = current.Metadata.ResourceVersion },
                ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } } },
            };
            var updated = await client.MergePatchAsync(workload.Namespace, workload.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
            informer.Remember(updated);
            return true;
        }
    }
}
