using BenchmarkDotNet.Attributes;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Bench.ProxyWasm;

/// <summary>Starting a plugin's VM: compiling the module cold, versus loading it from the precompiled cache.</summary>
[MemoryDiagnoser]
public class VmStartBenchmarks
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "wasme-bench-cache-" + Environment.ProcessId);
    private byte[] _module = [];
    private ProxyWasmRuntime _cold = null!;
    private ProxyWasmRuntime _cached = null!;
    private ProxyWasmRuntime _shared = null!;
    private ProxyWasmModule _compiled = null!;

    /// <summary>The hand-written add-header module (tiny), or the template filter built with the real AssemblyScript SDK.</summary>
    [Params("wat", "assemblyscript")]
    public string Filter { get; set; } = "wat";

    [GlobalSetup]
    public void Setup()
    {
        _module = Filter == "wat"
            ? Wasmtime.Module.ConvertText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "add_header.wat"))).ToArray()
            : new AssemblyScriptFilters().BuildAsync(AssemblyScriptFilters.AddHeaderSource).GetAwaiter().GetResult().Module;
        _cold = new ProxyWasmRuntime();
        _cached = new ProxyWasmRuntime(new ProxyWasmRuntimeOptions { CompilationCacheDirectory = _cache });
        _cached.LoadModule(_module, "warm").Dispose();
        _shared = new ProxyWasmRuntime();
        _compiled = _shared.LoadModule(_module, "compiled");
    }

    [Benchmark(Baseline = true)]
    public bool ColdCompileAndStart() => Start(_cold, _cold.LoadModule(_module, "cold"));

    [Benchmark]
    public bool FromPrecompiledCacheAndStart() => Start(_cached, _cached.LoadModule(_module, "cached"));

    /// <summary>Another worker's VM for a module already loaded: instantiate and run the start-up callbacks only.</summary>
    [Benchmark]
    public bool StartVmOnly()
    {
        using var plugin = _shared.CreatePlugin(_compiled, new PluginConfiguration { Name = "p", RootId = AssemblyScriptFilters.DefaultRootId, Configuration = "world"u8.ToArray() });
        return plugin.IsFailed;
    }

    private static bool Start(ProxyWasmRuntime runtime, ProxyWasmModule module)
    {
        using (module)
        using (var plugin = runtime.CreatePlugin(module, new PluginConfiguration { Name = "p", RootId = AssemblyScriptFilters.DefaultRootId, Configuration = "world"u8.ToArray() }))
        {
            return plugin.IsFailed;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _compiled.Dispose();
        _cold.Dispose();
        _cached.Dispose();
        _shared.Dispose();
        Directory.Delete(_cache, recursive: true);
    }
}
