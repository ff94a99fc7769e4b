using BenchmarkDotNet.Running;
using Wasme.Bench.ProxyWasm;

// `dotnet run -c Release -- --vm-memory [count] [--assemblyscript]` prints the resident memory per VM;
// `-- --make-module PATH [megabytes]` writes the add-header filter grown with code to that size (bench/proxy/start.sh);
// `-- --request-cpu [requests] [rounds] [headers]` prints the thread CPU time per request (4 and 30 headers), for busy machines;
// `-- --compare OTHER_BUILD_DIR [headers] [requests] [rounds]` runs this build's request and another build's side by side;
// anything else goes to BenchmarkDotNet (for example `--filter '*' --job short`).
if (args.Length > 1 && args[0] == "--make-module")
{
    LargeModule.Write(args[1], args.Length > 2 && int.TryParse(args[2], System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : 3);
    return;
}

if (args.Length > 0 && args[0] == "--vm-memory")
{
    var count = args.Length > 1 && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 200;
    VmMemory.Run(count, assemblyScript: args.Contains("--assemblyscript"));
    return;
}

if (args.Length > 0 && args[0] == "--request-cpu")
{
    var requests = args.Length > 1 && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : 100_000;
    var rounds = args.Length > 2 && int.TryParse(args[2], System.Globalization.CultureInfo.InvariantCulture, out var n2) ? n2 : 9;
    RequestCpu.Run(requests, rounds, args.Length > 3 ? [int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)] : [4, 30]);
    return;
}

if (args.Length > 1 && args[0] == "--compare")
{
    int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    CompareBuilds.Run(args[1], Arg(2, 4), Arg(3, 100_000), Arg(4, 60));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(PerRequestBenchmarks).Assembly).Run(args);
