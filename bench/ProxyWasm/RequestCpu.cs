using System.Globalization;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// CPU time per request of <see cref="PerRequestBenchmarks"/> (WAT filter, 4 and 30 headers), from the thread's own
/// scheduler accounting (/proc/thread-self/schedstat, nanoseconds on CPU): time spent waiting for a core on a busy
/// machine is not counted, so two builds run one after the other compare where BenchmarkDotNet's wall time cannot. The
/// machine's own speed still drifts between runs; the multiple of the same run's floor does not.
/// </summary>
internal static class RequestCpu
{
    public static void Run(int requests, int rounds, int[] headerCounts)
    {
        double floorMedian;
        using (var floor = new CallFloor())
        {
            var perRequest = Measure(requests, rounds, () => floor.Request());
            floorMedian = perRequest[rounds / 2];
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"Floor (the same guest and host calls through the host's Wasmtime binding, host functions doing nothing): CPU per request min {perRequest[0] / 1000:F3} us, median {perRequest[rounds / 2] / 1000:F3} us"));
        }

        foreach (var headers in headerCounts)
        {
            var bench = new PerRequestBenchmarks { Filter = "wat", RequestHeaders = headers };
            bench.Setup();
            try
            {
                WarmUp(requests, bench.AddHeaderRequest);

                var perRequest = new double[rounds];
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                for (var round = 0; round < rounds; round++)
                {
                    var start = ThreadCpuNanoseconds();
                    for (var i = 0; i < requests; i++)
                    {
                        bench.AddHeaderRequest();
                    }

                    perRequest[round] = (ThreadCpuNanoseconds() - start) / (double)requests;
                }

                var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / ((double)requests * rounds);
                var fill = new double[rounds];
                for (var round = 0; round < rounds; round++)
                {
                    var start = ThreadCpuNanoseconds();
                    for (var i = 0; i < requests; i++)
                    {
                        bench.MakeHeaderMaps();
                    }

                    fill[round] = (ThreadCpuNanoseconds() - start) / (double)requests;
                }

                Array.Sort(fill);
                Array.Sort(perRequest);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"AddHeaderRequest wat {headers,2} headers: CPU per request min {perRequest[0] / 1000:F3} us, median {perRequest[rounds / 2] / 1000:F3} us, max {perRequest[^1] / 1000:F3} us ({rounds} x {requests}), median {perRequest[rounds / 2] / floorMedian:F2}x the floor's; {allocated:F0} B allocated; of which making the header maps (the data plane's views of the request and response) median {fill[rounds / 2] / 1000:F3} us"));
            }
            finally
            {
                bench.Cleanup();
            }
        }

        // Last, so that its code and profile do not change how the requests above were compiled and measured.
        using (var floor = new WasmtimeDotnetCallFloor())
        {
            var perRequest = Measure(requests, rounds, () => floor.Request());
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"The same floor through wasmtime-dotnet: CPU per request min {perRequest[0] / 1000:F3} us, median {perRequest[rounds / 2] / 1000:F3} us ({perRequest[rounds / 2] / floorMedian:F2}x)"));
        }
    }

    private static double[] Measure(int requests, int rounds, Func<int> request)
    {
        WarmUp(requests, request);

        var perRequest = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            var start = ThreadCpuNanoseconds();
            for (var i = 0; i < requests; i++)
            {
                request();
            }

            perRequest[round] = (ThreadCpuNanoseconds() - start) / (double)requests;
        }

        Array.Sort(perRequest);
        return perRequest;
    }

    // Long enough for tiered compilation to replace the first code (its call counting starts 100 ms in, the optimized
    // code is compiled in the background): rounds measured before that read twice as high.
    private static void WarmUp(int requests, Func<int> request)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < requests / 4 || clock.ElapsedMilliseconds < 1000; i++)
        {
            request();
        }
    }

    internal static long ThreadCpuNanoseconds()
    {
        var text = File.ReadAllText("/proc/thread-self/schedstat");
        return long.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
    }
}
