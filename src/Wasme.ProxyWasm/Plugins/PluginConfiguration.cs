namespace Wasme.ProxyWasm;

/// <summary>One configured use of a module, like Envoy's <c>PluginConfig</c> + <c>VmConfig</c>.</summary>
public sealed record PluginConfiguration
{
    /// <summary>Plugin name (<c>plugin_name</c>); also the log and metric scope.</summary>
    public required string Name { get; init; }

    /// <summary>Root id (<c>plugin_root_id</c>) passed to the filter's root context; empty selects the SDK's default.</summary>
    public string RootId { get; init; } = "";

    /// <summary>VM id (<c>plugin_vm_id</c>); plugins with the same VM id share queues by name.</summary>
    public string VmId { get; init; } = "";

    /// <summary>Bytes handed to <c>proxy_on_configure</c> (PLUGIN_CONFIGURATION).</summary>
    public ReadOnlyMemory<byte> Configuration { get; init; }

    /// <summary>Bytes handed to <c>proxy_on_vm_start</c> (VM_CONFIGURATION).</summary>
    public ReadOnlyMemory<byte> VmConfiguration { get; init; }

    public FailurePolicy FailurePolicy { get; init; } = FailurePolicy.FailClosed;

    public PluginLimits Limits { get; init; } = new();

    /// <summary>Environment the guest sees through WASI <c>environ_get</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How many VMs (one per worker) serve this plugin's streams.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Values for <c>node.*</c> properties (for example <c>id</c>, <c>cluster</c>, <c>metadata.ISTIO_VERSION</c>), as Envoy's bootstrap node would give them.</summary>
    public IReadOnlyDictionary<string, string> NodeProperties { get; init; } = new Dictionary<string, string>();

    /// <summary>First wait before a reload after a failure; doubles per consecutive failure.</summary>
    public TimeSpan ReloadBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound on the reload wait.</summary>
    public TimeSpan MaxReloadBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws a clear error when a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("A plugin needs a name; set PluginConfiguration.Name.");
        }

        if (Workers < 1)
        {
            throw new ArgumentException($"Plugin '{Name}': Workers must be at least 1 (was {Workers}).");
        }

        if (ReloadBackoff <= TimeSpan.Zero || MaxReloadBackoff < ReloadBackoff)
        {
            throw new ArgumentException($"Plugin '{Name}': ReloadBackoff must be positive and not above MaxReloadBackoff.");
        }

        Limits.Validate(Name);
    }
}

/// <summary>Resource limits applied to every VM of a plugin.</summary>
public sealed record PluginLimits
{
    /// <summary>Cap on the guest's linear memory; growing past it fails. Envoy's default is 1 GiB.</summary>
    public long MaxMemoryBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Wall-clock budget for one call into the guest; a guest still running is interrupted.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap on a serialized header map crossing the ABI (cpp-host uses 1 MiB).</summary>
    public int MaxPairsBytes { get; init; } = 1024 * 1024;

    /// <summary>Cap on the number of pairs in a serialized map (cpp-host uses 1024).</summary>
    public int MaxPairsCount { get; init; } = 1024;

    /// <summary>
    /// Most <c>proxy_http_call</c>s one VM may have in flight (sent, answer not yet delivered), and separately most gRPC
    /// calls and streams it may have open; more are refused with INTERNAL_FAILURE. Envoy's default circuit breaker lets
    /// a cluster have 1024 requests.
    /// </summary>
    public int MaxCallsInFlight { get; init; } = 1024;

    /// <summary>
    /// Most bytes of <c>proxy_set_property</c> paths and values one context (the root context, or one stream) may hold,
    /// each property counted at least <see cref="PropertyEntryOverhead"/> bytes; a write past it is refused with
    /// INTERNAL_FAILURE. Envoy keeps such values in a stream's filter state, which ends with the stream.
    /// </summary>
    public int MaxPropertyBytes { get; init; } = 1024 * 1024;

    /// <summary>Bytes each stored property counts for besides its path and value (its dictionary entry).</summary>
    public const int PropertyEntryOverhead = 64;

    /// <summary>
    /// Most bytes of one <c>proxy_log</c> message (or one WASI write to stdout/stderr) that reach the log; the rest is
    /// dropped and the line says how long the message was. Container runtimes split lines at 16 KiB.
    /// </summary>
    public int MaxLogMessageBytes { get; init; } = 16 * 1024;

    internal void Validate(string plugin)
    {
        if (MaxMemoryBytes < 64 * 1024)
        {
            throw new ArgumentException($"Plugin '{plugin}': MaxMemoryBytes must be at least one Wasm page (65536).");
        }

        if (CallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Plugin '{plugin}': CallTimeout must be positive.");
        }

        if (MaxPairsBytes <= 0 || MaxPairsCount <= 0)
        {
            throw new ArgumentException($"Plugin '{plugin}': MaxPairsBytes and MaxPairsCount must be positive.");
        }

        if (MaxPropertyBytes <= 0 || MaxLogMessageBytes <= 0)
        {
            throw new ArgumentException($"Plugin '{plugin}': MaxPropertyBytes and MaxLogMessageBytes must be positive.");
        }

        if (MaxCallsInFlight <= 0)
        {
            throw new ArgumentException($"Plugin '{plugin}': MaxCallsInFlight must be positive (was {MaxCallsInFlight}).");
        }
    }
}
