using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Binding;
using Wasmtime;

namespace Wasme.ProxyWasm;

/// <summary>A compiled Proxy-Wasm module whose ABI has been checked. Share it between plugins.</summary>
public sealed class ProxyWasmModule : IDisposable
{
    internal ProxyWasmModule(Module compiled, NativeLinker linker, ModuleAbi abi, string name, string sha256, bool loadedFromCache)
    {
        Compiled = compiled;
        Linker = linker;
        Abi = abi;
        Name = name;
        Sha256 = sha256;
        LoadedFromCache = loadedFromCache;
    }

    public string Name { get; }

    /// <summary>Lower-case hex sha256 of the module bytes (empty for modules compiled from text).</summary>
    public string Sha256 { get; }

    public AbiVersion AbiVersion => Abi.Version;

    /// <summary>Whether the compiled code came from the on-disk precompiled cache.</summary>
    public bool LoadedFromCache { get; }

    internal Module Compiled { get; }

    internal NativeLinker Linker { get; }

    internal ModuleAbi Abi { get; }

    public void Dispose()
    {
        Linker.Dispose();
        Compiled.Dispose();
    }
}
