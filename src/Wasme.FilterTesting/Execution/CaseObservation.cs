using Wasme.Proxy.InProcess;
using Wasme.ProxyWasm;

namespace Wasme.FilterTesting.Execution;

/// <summary>Everything a case's request did: what the client got, what the upstream and clusters saw, logs, metrics.</summary>
public sealed record CaseObservation(
    InProcessResponse Response,
    IReadOnlyList<UpstreamRequest> UpstreamRequests,
    IReadOnlyList<RecordedCall> Calls,
    IReadOnlyList<LogLine> Logs,
    IReadOnlyList<MetricSnapshot> Metrics,
    IReadOnlyDictionary<string, byte[]> SharedData,
    bool FilterFailed)
{
    /// <summary>Messages left in the queues <c>then.queues</c> names, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<byte[]>> Queues { get; init; } = new Dictionary<string, IReadOnlyList<byte[]>>();

    /// <summary>The gRPC calls and streams the filters opened during the request.</summary>
    public IReadOnlyList<RecordedGrpcCall> GrpcCalls { get; init; } = [];
}

/// <summary>How a case ended: the mismatches found (none when it passed), or an error that kept it from running.</summary>
public sealed record CaseResult(string Name, int Line, IReadOnlyList<Assertions.Mismatch> Mismatches, CaseObservation? Observation, TimeSpan Elapsed, string? Error)
{
    public bool Passed => Error is null && Mismatches.Count == 0;
}

/// <summary>A module for a filter of the chain, with what its image or file says about it; <see cref="IsText"/> for WebAssembly text (.wat).</summary>
public sealed record ResolvedModule(byte[] Bytes, string Name, string? RootId, bool IsText = false);
