namespace Wasme.ProxyWasm;

/// <summary>Process-wide settings of the Proxy-Wasm host.</summary>
public sealed record ProxyWasmRuntimeOptions
{
    /// <summary>
    /// Directory for precompiled modules, keyed by the module's sha256. Null disables the cache.
    /// Precompiled code is trusted native code: only point this at a directory this process owns.
    /// </summary>
    public string? CompilationCacheDirectory { get; init; }

    /// <summary>Most bytes the precompiled modules may take; past it the least recently used entries are deleted.</summary>
    public long CompilationCacheMaxBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>How often the engine epoch advances; the granularity of every call deadline.</summary>
    public TimeSpan EpochInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Most bytes (keys and values) of shared data the filters of one VM id may store; a write past it is refused with
    /// INTERNAL_FAILURE. Shared data lives in the host, outside every guest's memory cap.
    /// </summary>
    public long MaxSharedDataBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most bytes of messages one shared queue may hold until they are dequeued; an enqueue past it is refused with INTERNAL_FAILURE.</summary>
    public long MaxSharedQueueBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most metrics the filters may define together (they live as long as the host); a new one past it gets INTERNAL_FAILURE.</summary>
    public int MaxMetrics { get; init; } = 10_000;

    /// <summary>Longest metric name, in bytes, a filter may define; a longer one gets BAD_ARGUMENT.</summary>
    public int MaxMetricNameBytes { get; init; } = 4096;

    /// <summary>Accept a module without a known ABI marker by treating it as this version (off by default; Envoy refuses such modules).</summary>
    public AbiVersion? AssumedAbiVersion { get; init; }

    public void Validate()
    {
        if (EpochInterval <= TimeSpan.Zero || EpochInterval > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("EpochInterval must be between 0 and 1 second.");
        }

        if (MaxMetrics <= 0 || MaxMetricNameBytes <= 0)
        {
            throw new ArgumentException("MaxMetrics and MaxMetricNameBytes must be positive.");
        }

        if (MaxSharedDataBytes <= 0 || MaxSharedQueueBytes <= 0)
        {
            throw new ArgumentException("MaxSharedDataBytes and MaxSharedQueueBytes must be positive.");
        }

        if (CompilationCacheMaxBytes <= 0)
        {
            throw new ArgumentException("CompilationCacheMaxBytes must be positive.");
        }
    }
}
