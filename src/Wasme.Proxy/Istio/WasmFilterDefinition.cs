using Wasme.ProxyWasm;

namespace Wasme.Proxy.Istio;

/// <summary>
/// One Wasm filter or service as an Istio resource describes it (an EnvoyFilter patch or a WasmPlugin): what Envoy's
/// <c>envoy.extensions.filters.http.wasm.v3.Wasm</c> config would hold.
/// </summary>
/// <param name="Name">Plugin name (<c>config.name</c>, or the WasmPlugin's namespace.name).</param>
/// <param name="RootId">Root id (<c>root_id</c> / <c>pluginName</c>).</param>
/// <param name="VmId">VM id (<c>vm_config.vm_id</c>).</param>
/// <param name="Configuration">The plugin configuration exactly as the filter receives it.</param>
/// <param name="Code">Where the module comes from.</param>
/// <param name="FailurePolicy">From <c>failure_policy</c>/<c>fail_open</c> or the WasmPlugin's <c>failStrategy</c>.</param>
/// <param name="Origin">Which resource and patch it came from, for messages.</param>
public sealed record WasmFilterDefinition(
    string Name,
    string RootId,
    string VmId,
    string Configuration,
    WasmCodeSource Code,
    FailurePolicy FailurePolicy,
    string Origin)
{
    /// <summary>What <c>proxy_on_vm_start</c> reads (<c>vm_config.configuration</c>).</summary>
    public string VmConfiguration { get; init; } = string.Empty;

    /// <summary>Environment variables with their values (<c>vm_config.environment_variables.key_values</c>, WasmPlugin INLINE env).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Variables copied from the proxy's own environment (<c>host_env_keys</c>, WasmPlugin HOST env).</summary>
    public IReadOnlyList<string> HostEnvironmentKeys { get; init; } = [];

    /// <summary><c>node.*</c> properties the resource implies (<c>metadata.NAMESPACE</c>, <c>metadata.LABELS.*</c> of the selected workload).</summary>
    public IReadOnlyDictionary<string, string> NodeProperties { get; init; } = new Dictionary<string, string>();

    /// <summary>Where Envoy runs it: an HTTP filter, a network (TCP) filter, or a bootstrap service.</summary>
    public WasmFilterKind Kind { get; init; } = WasmFilterKind.Http;

    /// <summary>For a service: <c>singleton: true</c> runs one VM for the whole proxy, otherwise one per worker.</summary>
    public bool Singleton { get; init; }
}

/// <summary>The Envoy extension a Wasm plugin is configured as.</summary>
public enum WasmFilterKind
{
    /// <summary><c>envoy.filters.http.wasm</c>.</summary>
    Http,

    /// <summary><c>envoy.filters.network.wasm</c>.</summary>
    Network,

    /// <summary><c>envoy.bootstrap.wasm</c> (<c>envoy.extensions.wasm.v3.WasmService</c>).</summary>
    Service,
}

/// <summary>Where a filter's module comes from.</summary>
public abstract record WasmCodeSource;

/// <summary><c>vm_config.code.local.filename</c> (or a WasmPlugin <c>file://</c> URL).</summary>
public sealed record LocalWasmCode(string Path) : WasmCodeSource;

/// <summary>
/// <c>vm_config.code.remote</c>: fetched over HTTP through <paramref name="Cluster"/> (when the proxy knows it) or
/// straight from <paramref name="Uri"/>, and refused unless its sha256 matches.
/// </summary>
public sealed record RemoteWasmCode(Uri Uri, string? Cluster, string? Sha256, TimeSpan Timeout) : WasmCodeSource;

/// <summary>A WasmPlugin <c>oci://</c> URL; <paramref name="Sha256"/> pins the image manifest digest, as Istio checks it.</summary>
public sealed record OciWasmCode(string Reference, string? Sha256) : WasmCodeSource;
