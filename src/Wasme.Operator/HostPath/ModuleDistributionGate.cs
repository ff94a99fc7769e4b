using Wasme.Istio.Api;
using Wasme.Istio.Workloads;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.HostPath;

/// <summary>
/// HostPath's readiness gate (docs/cache.md, "Readiness per node"): a workload gets the cache volume only once every
/// node that runs its pods holds the module, and its EnvoyFilter points at the file only once, in addition, every pod
/// the EnvoyFilter reaches mounts the cache. The reconciler writes in that order, so no moment (a kill included)
/// leaves a proxy pointed at a file its node or its sidecar does not have.
/// </summary>
public sealed class ModuleDistributionGate
{
    private const int MaxNamed = 8;
    private readonly NodeModuleRecords _records;
    private readonly WorkloadPods _pods;

    public ModuleDistributionGate(NodeModuleRecords records, WorkloadPods pods, ModuleDistributionOptions options)
    {
        _records = records;
        _pods = pods;
        Options = options;
    }

    public ModuleDistributionOptions Options { get; }

    public async Task<DistributionReport> CheckAsync(IReadOnlyList<Workload> workloads, string moduleSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        var held = _records.HasSynced ? _records.Snapshot() : null;
        var gates = new List<WorkloadGate>();
        var nodes = new SortedDictionary<string, bool>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            if (held is null)
            {
                gates.Add(new(workload, GateState.Unknown, [], [], $"the caches' node records (CacheNodeRecords in namespace {_records.Namespace}) have not been read yet"));
                continue;
            }

            if (!_records.IsServed)
            {
                gates.Add(new(workload, GateState.Unknown, [], [],
                    "the API server does not serve CacheNodeRecords (wasme.io/v1), where the caches say which modules their nodes hold: install deploy/crds/cachenoderecords.wasme.io.yaml (kubectl apply -k deploy/)"));
                continue;
            }

            IReadOnlyList<PodPlacement> pods;
            try
            {
                pods = await _pods.ListAsync(workload, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (KubernetesErrors.StatusOf(ex) == System.Net.HttpStatusCode.Forbidden)
            {
                gates.Add(new(workload, GateState.Unknown, [], [],
                    $"the operator may not list pods in namespace {workload.Namespace}, so it cannot tell which nodes must hold the module: bind ClusterRole wasme-workload-annotator there (docs/install.md)"));
                continue;
            }

            var missing = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var node in pods.Select(p => p.NodeName).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                var ready = held.TryGetValue(node, out var modules) && modules.Contains(moduleSha256);
                nodes[node] = ready;
                if (!ready)
                {
                    missing.Add(node);
                }
            }

            if (missing.Count > 0)
            {
                gates.Add(new(workload, GateState.WaitingForNodes, [.. missing], [.. pods.Where(p => p.NodeName is { } n && missing.Contains(n)).Select(p => p.Name)]));
            }
            else if (pods.Where(p => !p.MountsCache).Select(p => p.Name).ToList() is { Count: > 0 } unmounted)
            {
                gates.Add(new(workload, GateState.WaitingForRollout, [], unmounted));
            }
            else
            {
                gates.Add(new(workload, GateState.Open, [], []));
            }
        }

        return new DistributionReport(moduleSha256, gates, [.. nodes.Select(n => new NodeStatus { Name = n.Key, Ready = n.Value })]);
    }

    /// <summary>The <c>ModuleDistributed</c> condition for the report: status, reason, message.</summary>
    public (bool? Status, string Reason, string Message) Distributed(DistributionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var module = $"module sha256:{report.ModuleSha256}";
        if (report.Workloads.FirstOrDefault(w => w.State == GateState.Unknown) is { } unknown)
        {
            return (null, "NodesUnknown", unknown.Problem!);
        }

        var missing = report.Nodes.Where(n => !n.Ready).Select(n => n.Name).ToList();
        if (missing.Count > 0)
        {
            var pods = report.Workloads.Where(w => w.State == GateState.WaitingForNodes).SelectMany(w => w.Pods).ToList();
            return (false, "WaitingForNodes",
                $"{report.NodesReady} nodes hold {module}; waiting for {Name(missing)} (pods {Name(pods)}). No workload is pointed at the file until they do. "
                + $"Is the wasme-cache DaemonSet running there? kubectl -n {_records.Namespace} get pods -l app.kubernetes.io/name=wasme-cache -o wide; "
                + "a ModuleFetchFailed Event on this FilterDeployment says why a fetch fails");
        }

        return (true, "NodesHoldModule", report.Nodes.Count == 0
            ? $"no pod of the selected workloads runs on a node yet; each node's cache fetches {module} when it starts"
            : $"{report.NodesReady} nodes running the selected workloads hold {module}");
    }

    /// <summary>What keeps the filter from being applied (reason, message), or null when every workload is served.</summary>
    public static (string Reason, string Message)? Waiting(DistributionReport report, (bool? Status, string Reason, string Message) distributed)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (distributed.Status != true)
        {
            return (distributed.Reason, distributed.Message);
        }

        var rolling = report.Workloads.Where(w => w.State == GateState.WaitingForRollout).ToList();
        return rolling.Count == 0
            ? null
            : ("WaitingForRollout", string.Join("; ", rolling.Select(w =>
                $"{w.Workload.Kind} {w.Workload.Name}: pods {Name(w.Pods)} started before the node cache was mounted; the filter is applied once the rollout has replaced them")));
    }

    /// <summary>What <c>status.workloads[name].reason</c> says for a workload that is not served yet.</summary>
    public static string Pending(WorkloadGate gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        return gate.State switch
        {
            GateState.WaitingForNodes => $"waiting for nodes {Name(gate.MissingNodes)} to hold the module",
            GateState.WaitingForRollout => $"waiting for the rollout to replace pods {Name(gate.Pods)}",
            _ => gate.Problem ?? "waiting",
        };
    }

    private static string Name(IReadOnlyList<string> names) =>
        names.Count <= MaxNamed ? string.Join(", ", names) : $"{string.Join(", ", names.Take(MaxNamed))} and {names.Count - MaxNamed} more";
}
