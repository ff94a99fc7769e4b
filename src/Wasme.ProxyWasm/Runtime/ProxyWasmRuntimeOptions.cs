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

    /// <summary>Accept a module without a known ABI marker by treating it as this version (off by default; Envoy refuses such modules).</summary>
    public AbiVersion? AssumedAbiVersion { get; init; }

    public void Validate()
    {
        if (EpochInterval <= TimeSpan.Zero || EpochInterval > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("EpochInterval must be between 0 and 1 second.");
        }

        if (CompilationCacheMaxBytes <= 0)
        {
            throw new ArgumentException("CompilationCacheMaxBytes must be positive.");
        }
    }
}
