using System.Diagnostics;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// Resident memory of one VM: start many VMs of the add-header filter and divide the growth of the process's
/// working set (native Wasmtime memory included, which BenchmarkDotNet's managed allocation counter cannot see).
/// </summary>
internal static class VmMemory
{
    public static void Run(int count, bool assemblyScript)
    {
        using var runtime = new ProxyWasmRuntime();
        using var module = assemblyScript
            ? runtime.LoadModule(new AssemblyScriptFilters().BuildAsync(AssemblyScriptFilters.AddHeaderSource).GetAwaiter().GetResult().Module, "assemblyscript")
            : runtime.LoadModuleFromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "add_header.wat")), "add_header.wat");
        var warm = runtime.CreatePlugin(module, new PluginConfiguration { Name = "warm", RootId = AssemblyScriptFilters.DefaultRootId, Configuration = "world"u8.ToArray() });
        warm.Dispose();
        var before = Measure();
        var plugins = new List<ProxyWasmPlugin>(count);
        for (var i = 0; i < count; i++)
        {
            plugins.Add(runtime.CreatePlugin(module, new PluginConfiguration { Name = "p" + i, RootId = AssemblyScriptFilters.DefaultRootId, Configuration = "world"u8.ToArray() }));
        }

        var after = Measure();
        Console.WriteLine($"{(assemblyScript ? "AssemblyScript template filter" : "add_header.wat")}: VMs: {count}; working set +{(after - before) / 1024.0 / 1024.0:F1} MiB; per VM {(after - before) / 1024.0 / count:F1} KiB (linear memory committed as touched)");
        foreach (var plugin in plugins)
        {
            plugin.Dispose();
        }
    }

    private static long Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
