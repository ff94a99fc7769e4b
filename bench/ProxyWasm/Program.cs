using BenchmarkDotNet.Running;
using Wasme.Bench.ProxyWasm;

// `dotnet run -c Release -- --vm-memory [count]` prints the resident memory per VM;
// anything else goes to BenchmarkDotNet (for example `--filter '*' --job short`).
if (args.Length > 0 && args[0] == "--vm-memory")
{
    VmMemory.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(PerRequestBenchmarks).Assembly).Run(args);
