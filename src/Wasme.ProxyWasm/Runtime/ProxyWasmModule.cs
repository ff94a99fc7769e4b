namespace Wasme.ProxyWasm;

/// <summary>A compiled Proxy-Wasm module whose ABI has been checked. Share it between plugins.</summary>
public sealed class ProxyWasmModule : IDisposable
{
    internal ProxyWasmModule()
    {
    }

    public string Name { get; internal init; } = "";

    /// <summary>Lower-case hex sha256 of the module bytes (empty for modules compiled from text).</summary>
    public string Sha256 { get; internal init; } = "";

    public AbiVersion AbiVersion { get; internal init; }

    /// <summary>Whether the compiled code came from the on-disk precompiled cache.</summary>
    public bool LoadedFromCache { get; internal init; }

    public void Dispose()
    {
    }
}
