using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Binding;
using Wasmtime;

namespace Wasme.ProxyWasm;

/// <summary>A compiled Proxy-Wasm module whose ABI has been checked. Share it between plugins.</summary>
public sealed class ProxyWasmModule : IDisposable
{
    private readonly Lock _trampolineGate = new();
    private Module? _streamEnd;
    private string? _streamEndText;

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

    /// <summary>
    /// The compiled stream trampoline for this module's exports (see <see cref="Vm.StreamTrampoline"/>): every
    /// VM of the module has the same exports, so the first VM compiles it and the others share it.
    /// </summary>
    internal Module StreamTrampoline(string text, Func<string, string, Module> compile)
    {
        lock (_trampolineGate)
        {
            if (_streamEnd is null || !string.Equals(_streamEndText, text, StringComparison.Ordinal))
            {
                _streamEnd?.Dispose();
                _streamEnd = compile(text, Name + " (stream trampoline)");
                _streamEndText = text;
            }

            return _streamEnd;
        }
    }

    public void Dispose()
    {
        lock (_trampolineGate)
        {
            _streamEnd?.Dispose();
            _streamEnd = null;
        }

        Linker.Dispose();
        Compiled.Dispose();
    }
}
