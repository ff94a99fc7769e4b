using Wasme.Istio.Api;
using Wasme.Istio.Workloads;

namespace Wasme.Operator.HostPath;

/// <summary>How far a workload's HostPath delivery may go now.</summary>
public enum GateState
{
    /// <summary>Every node running its pods holds the module and every pod mounts the cache: point it at the file.</summary>
    Open,

    /// <summary>The nodes hold the module, but pods started before the cache volume was added still run.</summary>
    WaitingForRollout,

    /// <summary>A node running its pods does not hold the module (yet).</summary>
    WaitingForNodes,

    /// <summary>Where its pods run, or what the nodes hold, could not be read.</summary>
    Unknown,
}

/// <summary>One selected workload's gate, with the nodes and pods that hold it closed.</summary>
public sealed record WorkloadGate(Workload Workload, GateState State, IReadOnlyList<string> MissingNodes, IReadOnlyList<string> Pods, string? Problem = null)
{
    /// <summary>The cache volume may be added: no node that runs its pods lacks the module.</summary>
    public bool MayAnnotate => State is GateState.Open or GateState.WaitingForRollout;

    /// <summary>The EnvoyFilter may point at the file: every pod it reaches mounts the cache on a node that holds the module.</summary>
    public bool MayPoint => State == GateState.Open;
}

/// <summary>The gate of every selected workload of one HostPath FilterDeployment, and the nodes involved.</summary>
public sealed record DistributionReport(string ModuleSha256, IReadOnlyList<WorkloadGate> Workloads, IReadOnlyList<NodeStatus> Nodes)
{
    public WorkloadGate? For(WorkloadKind kind, string name) => Workloads.FirstOrDefault(w => w.Workload.Kind == kind && w.Workload.Name == name);

    public bool AllOpen => Workloads.All(w => w.MayPoint);

    /// <summary>"held/total" for <c>status.nodesReady</c>.</summary>
    public string NodesReady => $"{Nodes.Count(n => n.Ready)}/{Nodes.Count}";
}
