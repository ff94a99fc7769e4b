using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Nodes;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.HostPath;
using Wasme.Operator.Images;
using Wasme.Kubernetes.Clients;
using Wasme.Operator.Queues;
using Wasme.Operator.Reconciliation;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// The FilterDeployment controller assembled: informers on FilterDeployments, the three workload kinds and the
/// owned EnvoyFilters/WasmPlugins, each event mapped to the FilterDeployment keys it concerns, one work queue,
/// and the reconciler. <see cref="RunAsync"/> starts the informers, waits for their first list, then reconciles.
/// </summary>
public sealed class FilterDeploymentOperator : IDisposable
{
    private const string ControllerName = "filterdeployment";
    private readonly ResourceInformer<FilterDeployment> _deployments;
    private readonly ResourceInformer<V1Deployment> _deploymentWorkloads;
    private readonly ResourceInformer<V1DaemonSet> _daemonSets;
    private readonly ResourceInformer<V1StatefulSet> _statefulSets;
    private readonly ResourceInformer<GenericResource> _envoyFilters;
    private readonly ResourceInformer<GenericResource> _wasmPlugins;
    private readonly ResourceInformer<CacheNodeRecord> _nodeRecords;
    private readonly WorkQueue<ObjectKey> _queue;
    private readonly int _workers;
    private readonly TimeProvider _timeProvider;

    public FilterDeploymentOperator(
        IKubernetes client,
        IImageResolver images,
        FilterDeploymentOperatorOptions options,
        OperatorMetrics metrics,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IPullSecretReader? pullSecrets = null,
        IEventRecorder? events = null,
        IWriteFence? fence = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _timeProvider = timeProvider;
        var fdClient = new KubernetesResourceClient<FilterDeployment>(client, ResourceType.FilterDeployment, fence);
        var deploymentClient = new KubernetesResourceClient<V1Deployment>(client, ResourceType.Deployment, fence);
        var daemonSetClient = new KubernetesResourceClient<V1DaemonSet>(client, ResourceType.DaemonSet, fence);
        var statefulSetClient = new KubernetesResourceClient<V1StatefulSet>(client, ResourceType.StatefulSet, fence);
        var envoyFilterClient = new KubernetesResourceClient<GenericResource>(client, ResourceType.EnvoyFilter, fence);
        var wasmPluginClient = new KubernetesResourceClient<GenericResource>(client, ResourceType.WasmPlugin, fence);

        var watched = new InformerOptions { Namespace = options.Namespace, ResyncPeriod = TimeSpan.Zero, NotServedBackoffMax = options.CrdRediscoveryMax };
        var owned = watched with { LabelSelector = $"{WasmeMetadata.ManagedByLabel}={WasmeMetadata.ManagedByValue}" };
        var informerLogger = loggerFactory.CreateLogger("Wasme.Kubernetes.Caching.ResourceInformer");
        _deployments = new(fdClient, watched with { ResyncPeriod = options.ResyncPeriod }, timeProvider, informerLogger);
        _deploymentWorkloads = new(deploymentClient, watched, timeProvider, informerLogger);
        _daemonSets = new(daemonSetClient, watched, timeProvider, informerLogger);
        _statefulSets = new(statefulSetClient, watched, timeProvider, informerLogger);
        _envoyFilters = new(envoyFilterClient, owned, timeProvider, informerLogger);
        _wasmPlugins = new(wasmPluginClient, owned, timeProvider, informerLogger);
        // HostPath's gate: which modules each node's cache holds. Not waited for at start (a Remote-only install may not
        // grant it); until it has listed, HostPath FilterDeployments wait and say why.
        var distribution = options.ModuleDistribution;
        // Read-only: no fence, the operator never writes them.
        _nodeRecords = new(
            new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type),
            new InformerOptions { Namespace = distribution.CacheNamespace, ResyncPeriod = TimeSpan.Zero, NotServedBackoffMax = options.CrdRediscoveryMax },
            timeProvider,
            informerLogger);

        _queue = new WorkQueue<ObjectKey>(timeProvider, new ExponentialBackoff<ObjectKey>(options.BackoffBase, options.BackoffMax));
        var workloads = new WorkloadCatalog(_deploymentWorkloads, deploymentClient, _daemonSets, daemonSetClient, _statefulSets, statefulSetClient);
        var ownedResources = new OwnedResources(_envoyFilters, envoyFilterClient, _wasmPlugins, wasmPluginClient);
        Reconciler = new FilterDeploymentReconciler(
            _deployments,
            fdClient,
            workloads,
            ownedResources,
            images,
            pullSecrets ?? new KubernetesPullSecretReader(client),
            events ?? new KubernetesEventRecorder(client, "wasme-operator", timeProvider, loggerFactory.CreateLogger<KubernetesEventRecorder>()),
            metrics,
            options.Reconciler,
            timeProvider,
            loggerFactory.CreateLogger<FilterDeploymentReconciler>(),
            options.DetectIstioVersion ? new IstioVersionDetector(client, timeProvider, loggerFactory.CreateLogger<IstioVersionDetector>()) : null,
            new ModuleDistributionGate(new NodeModuleRecords(_nodeRecords, distribution.CacheNamespace), new WorkloadPods(client), distribution),
            new Verification.OciImageSignatureVerifier(loggerFactory, timeProvider));
        Controller = new Controller(ControllerName, _queue, Reconciler, metrics, timeProvider, loggerFactory.CreateLogger<Controller>(), options.ReconcileDeadline);
        _workers = options.Workers;

        _deployments.AddHandler((_, fd) => OnFilterDeployment(fd));
        _deploymentWorkloads.AddHandler((_, w) => OnWorkload(WorkloadKind.Deployment, w));
        _daemonSets.AddHandler((_, w) => OnWorkload(WorkloadKind.DaemonSet, w));
        _statefulSets.AddHandler((_, w) => OnWorkload(WorkloadKind.StatefulSet, w));
        _envoyFilters.AddHandler((_, r) => OnOwned(r));
        _wasmPlugins.AddHandler((_, r) => OnOwned(r));
        _nodeRecords.AddHandler((_, _) => RequeueHostPath());
        _nodeRecords.AddServedHandler(_ => RequeueHostPath());

        // A CRD installed (or removed) while running changes what every FilterDeployment can have: look at all again.
        _envoyFilters.AddServedHandler(_ => RequeueAll());
        _wasmPlugins.AddServedHandler(_ => RequeueAll());
    }

    public FilterDeploymentReconciler Reconciler { get; }

    public Controller Controller { get; }

    /// <summary>True once every informer has listed once (what <c>/readyz</c> reports).</summary>
    public bool HasSynced => Informers.All(i => i());

    private IEnumerable<Func<bool>> Informers =>
    [
        () => _deployments.HasSynced, () => _deploymentWorkloads.HasSynced, () => _daemonSets.HasSynced,
        () => _statefulSets.HasSynced, () => _envoyFilters.HasSynced, () => _wasmPlugins.HasSynced,
    ];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var informers = new[]
        {
            _deployments.RunAsync(stop.Token), _deploymentWorkloads.RunAsync(stop.Token), _daemonSets.RunAsync(stop.Token),
            _statefulSets.RunAsync(stop.Token), _envoyFilters.RunAsync(stop.Token), _wasmPlugins.RunAsync(stop.Token),
            _nodeRecords.RunAsync(stop.Token),
        };
        try
        {
            // Reconciling before every cache is full would delete objects that merely have not been listed yet.
            await Task.WhenAll(
                _deployments.WaitForSyncAsync(stop.Token), _deploymentWorkloads.WaitForSyncAsync(stop.Token), _daemonSets.WaitForSyncAsync(stop.Token),
                _statefulSets.WaitForSyncAsync(stop.Token), _envoyFilters.WaitForSyncAsync(stop.Token), _wasmPlugins.WaitForSyncAsync(stop.Token)).ConfigureAwait(false);
            await WaitForNodeRecordsAsync(stop.Token).ConfigureAwait(false);
            await Controller.RunAsync(_workers, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(informers).ConfigureAwait(false);
        }
    }

    public void Dispose() => _queue.Dispose();

    // Reconciling HostPath before the node records are listed would report "unknown" for a moment after every restart
    // (a status write and an Event for nothing); but a grant that is missing must not hold up Remote delivery either.
    private async Task WaitForNodeRecordsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _nodeRecords.WaitForSyncAsync(cancellationToken).WaitAsync(NodeRecordsSyncWait, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The informer keeps trying; HostPath FilterDeployments say what is missing meanwhile.
        }
    }

    private static readonly TimeSpan NodeRecordsSyncWait = TimeSpan.FromSeconds(10);

    private static ObjectKey KeyOf(FilterDeployment item) => new(item.Metadata.NamespaceProperty, item.Metadata.Name);

    // A workload change concerns the FilterDeployments that select it now, and those whose objects still point at it.
    private void OnWorkload<T>(WorkloadKind kind, T workload)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var ns = workload.Metadata.NamespaceProperty;
        var labels = workload.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (var fd in _deployments.List(ns))
        {
            var istio = fd.Spec.Deployment?.Istio;
            if ((istio?.Kind ?? WorkloadKind.Deployment) == kind
                && (istio?.Labels ?? new Dictionary<string, string>()).All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value))
            {
                _queue.Add(KeyOf(fd));
            }
        }

        var reference = $"{kind}/{workload.Metadata.Name}";
        foreach (var owned in _envoyFilters.List(ns).Concat(_wasmPlugins.List(ns)))
        {
            if (owned.Metadata.Annotations?.TryGetValue(WasmeMetadata.WorkloadAnnotation, out var target) == true && target == reference)
            {
                OnOwned(owned);
            }
        }
    }

    // Same filter id, same namespace: one may be waiting for the other to give up a name (see FilterIdClaims).
    private void OnFilterDeployment(FilterDeployment changed)
    {
        _queue.Add(KeyOf(changed));
        var id = FilterDeploymentValidator.EffectiveId(changed);
        foreach (var fd in _deployments.List(changed.Metadata.NamespaceProperty))
        {
            if (fd.Metadata.Name != changed.Metadata.Name && FilterDeploymentValidator.EffectiveId(fd) == id)
            {
                _queue.Add(KeyOf(fd));
            }
        }
    }

    private void RequeueAll()
    {
        foreach (var fd in _deployments.List())
        {
            _queue.Add(KeyOf(fd));
        }
    }

    // A node's cache reported a change: the HostPath FilterDeployments waiting for it can go on.
    private void RequeueHostPath()
    {
        foreach (var fd in _deployments.List())
        {
            if (fd.Spec.Deployment?.Istio?.Delivery == DeliveryMode.HostPath)
            {
                _queue.Add(KeyOf(fd));
            }
        }
    }

    // The owner reference too: a label taken off by hand must not hide the change from the FilterDeployment that puts it back.
    private void OnOwned(GenericResource resource)
    {
        if (resource.Metadata.Labels?.TryGetValue(WasmeMetadata.FilterDeploymentLabel, out var owner) == true)
        {
            _queue.Add(new ObjectKey(resource.Metadata.NamespaceProperty, owner));
        }

        foreach (var reference in resource.Metadata.OwnerReferences ?? [])
        {
            if (reference.Kind == FilterDeployment.KubeKind && reference.ApiVersion?.StartsWith(FilterDeployment.Group + "/", StringComparison.Ordinal) == true)
            {
                _queue.Add(new ObjectKey(resource.Metadata.NamespaceProperty, reference.Name));
            }
        }
    }
}
