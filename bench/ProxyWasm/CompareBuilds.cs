using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// `--compare OTHER_BUILD_DIR [headers] [requests] [rounds]`: this build's <see cref="PerRequestBenchmarks.AddHeaderRequest"/>
/// and another build's (the output directory of this project built from another commit), each loaded into its own
/// <see cref="AssemblyLoadContext"/> in one process, run in alternating rounds and timed with the thread's CPU time.
/// Separate processes run one after the other on a shared machine differ by more than most changes (other load
/// moves the CPU time per request by tens of percent within minutes); rounds a few tens of milliseconds apart see the
/// same machine, so the per-round ratio resolves a few percent. Comparing a build with itself gives the ratio's noise.
/// </summary>
internal static class CompareBuilds
{
    public static void Run(string other, int headers, int requests, int rounds)
    {
        // The other build first, as the baseline; both share one copy of Wasmtime's native library.
        var builds = new[] { Path.GetFullPath(other), AppContext.BaseDirectory };
        var native = new SharedNativeLibrary();
        var run = new Func<int>[2];
        for (var i = 0; i < 2; i++)
        {
            run[i] = Load(builds[i], headers, native);
        }

        for (var warm = 0; warm < 3; warm++)
        {
            foreach (var request in run)
            {
                // Long enough for tiered compilation to finish with both (see RequestCpu.WarmUp).
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (clock.ElapsedMilliseconds < 700)
                {
                    request();
                }
            }
        }

        var perRequest = new[] { new double[rounds], new double[rounds] };
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < 2; k++)
            {
                // Alternate which build goes first, so neither always runs right after the other.
                var i = (round + k) % 2;
                var request = run[i];
                var start = RequestCpu.ThreadCpuNanoseconds();
                for (var n = 0; n < requests; n++)
                {
                    request();
                }

                perRequest[i][round] = (RequestCpu.ThreadCpuNanoseconds() - start) / (double)requests;
            }
        }

        var ratios = perRequest[1].Zip(perRequest[0], (current, baseline) => current / baseline).Order().ToArray();
        for (var i = 0; i < 2; i++)
        {
            var sorted = perRequest[i].Order().ToArray();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{(i == 0 ? "other build" : "this build ")} ({builds[i]}), {headers} headers: CPU per request min {sorted[0]:F1} ns, median {sorted[rounds / 2]:F1} ns, max {sorted[^1]:F1} ns ({rounds} x {requests})"));
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"this build / other build, per round: median {ratios[rounds / 2]:F3}, quartiles {ratios[rounds / 4]:F3}-{ratios[3 * rounds / 4]:F3}"));
    }

    private static Func<int> Load(string directory, int headers, SharedNativeLibrary native)
    {
        var context = new BuildLoadContext(directory, native);
        var assembly = context.LoadFromAssemblyPath(Path.Combine(directory, "Wasme.Bench.ProxyWasm.dll"));
        var type = assembly.GetType(typeof(PerRequestBenchmarks).FullName!, throwOnError: true)!;
        var bench = Activator.CreateInstance(type)!;
        type.GetProperty(nameof(PerRequestBenchmarks.Filter))!.SetValue(bench, "wat");
        type.GetProperty(nameof(PerRequestBenchmarks.RequestHeaders))!.SetValue(bench, headers);
        type.GetMethod(nameof(PerRequestBenchmarks.Setup))!.Invoke(bench, null);
        return type.GetMethod(nameof(PerRequestBenchmarks.AddHeaderRequest))!.CreateDelegate<Func<int>>(bench);
    }

    /// <summary>The first native library either build resolves (Wasmtime), handed to both.</summary>
    private sealed class SharedNativeLibrary
    {
        public string? Path { get; set; }
    }

    /// <summary>A build's own assemblies from its directory; the shared framework from the default context.</summary>
    private sealed class BuildLoadContext(string directory, SharedNativeLibrary native) : AssemblyLoadContext(directory)
    {
        private readonly AssemblyDependencyResolver _resolver = new(System.IO.Path.Combine(directory, "Wasme.Bench.ProxyWasm.dll"));

        protected override Assembly? Load(AssemblyName assemblyName)
            => _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = native.Path ??= _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
        }
    }
}
