using System.Text.Json.Serialization;

namespace Wasme.Istio.Api;

[JsonConverter(typeof(JsonStringEnumConverter<WorkloadKind>))]
public enum WorkloadKind
{
    Deployment,
    DaemonSet,
    StatefulSet,
}

/// <summary>Which listeners get the filter. Serialized lower-case, as in the original API.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PatchContext>))]
public enum PatchContext
{
    [JsonStringEnumMemberName("inbound")]
    Inbound,

    [JsonStringEnumMemberName("outbound")]
    Outbound,

    /// <summary>Gateway listeners (ingress/egress gateways); the sidecar contexts never match there.</summary>
    [JsonStringEnumMemberName("gateway")]
    Gateway,

    [JsonStringEnumMemberName("any")]
    Any,
}

/// <summary>How the module reaches the proxies.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryMode>))]
public enum DeliveryMode
{
    /// <summary>Envoy fetches the module from the node cache service over HTTP, pinned by sha256. No pod restarts.</summary>
    Remote,

    /// <summary>The cache writes the module to a hostPath that sidecars mount through annotations (the original mechanism).</summary>
    HostPath,

    /// <summary>An Istio <c>WasmPlugin</c> (Istio 1.12+) pinned by digest; istio-agent fetches the module.</summary>
    WasmPlugin,
}

/// <summary>What the proxy does when the filter cannot be loaded or fails at runtime.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailStrategy>))]
public enum FailStrategy
{
    FailClose,
    FailOpen,
    FailReload,
}

/// <summary>What a failed signature check does.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VerificationMode>))]
public enum VerificationMode
{
    Enforce,
    Warn,
}

[JsonConverter(typeof(JsonStringEnumConverter<WorkloadState>))]
public enum WorkloadState
{
    Pending,
    Succeeded,
    Failed,
}
