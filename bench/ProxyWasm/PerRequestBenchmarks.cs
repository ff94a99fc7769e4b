using BenchmarkDotNet.Attributes;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// Host cost of one request through an add-header filter: create the stream context, request and response
/// header callbacks, done/log, delete. The header maps are reused (cleared) as a data plane would pool them.
/// </summary>
[MemoryDiagnoser]
public class PerRequestBenchmarks
{
    private readonly NullStreamHost _streamHost = new();
    private readonly HeaderMap _request = new();
    private readonly HeaderMap _response = new();
    private ProxyWasmRuntime _runtime = null!;
    private ProxyWasmPlugin _plugin = null!;

    // A browser's request carries about 30 headers; 4 is a bare client such as wrk.
    private static readonly (string Name, string Value)[] s_browserHeaders =
    [
        ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-GB,en;q=0.9,fr;q=0.8"),
        ("cache-control", "max-age=0"),
        ("cookie", "session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"),
        ("dnt", "1"),
        ("priority", "u=0, i"),
        ("referer", "https://bookinfo.local/"),
        ("sec-ch-ua", "\"Chromium\";v=\"130\", \"Not?A_Brand\";v=\"99\""),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-user", "?1"),
        ("upgrade-insecure-requests", "1"),
        ("x-forwarded-for", "10.0.0.1"),
        ("x-forwarded-proto", "https"),
        ("x-request-id", "9b2c3d4e-5f60-4718-293a-4b5c6d7e8f90"),
        ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
        ("x-b3-spanid", "e457b5a2e4d86bd1"),
        ("x-b3-sampled", "1"),
        ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("x-envoy-attempt-count", "1"),
        ("x-envoy-external-address", "10.0.0.1"),
        ("if-none-match", "\"5d8c72a5edda8d6a\""),
    ];

    /// <summary>wat and assemblyscript; BENCH_FILTERS=wat skips the AssemblyScript build.</summary>
    [ParamsSource(nameof(Filters))]
    public string Filter { get; set; } = "wat";

    public static IEnumerable<string> Filters() =>
        (Environment.GetEnvironmentVariable("BENCH_FILTERS") ?? "wat,assemblyscript").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Request headers per request, pseudo headers included.</summary>
    [Params(4, 30)]
    public int RequestHeaders { get; set; } = 4;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = new ProxyWasmRuntime();
        var module = Filter == "wat"
            ? _runtime.LoadModuleFromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "add_header.wat")), "add_header.wat")
            : _runtime.LoadModule(new AssemblyScriptFilters().BuildAsync(AssemblyScriptFilters.AddHeaderSource).GetAwaiter().GetResult().Module, "assemblyscript");
        _plugin = _runtime.CreatePlugin(module, new PluginConfiguration
        {
            Name = "add_header",
            RootId = AssemblyScriptFilters.DefaultRootId,
            Configuration = "world"u8.ToArray(),
        });
    }

    [Benchmark]
    public int AddHeaderRequest()
    {
        FillHeaders();
        using var stream = _plugin.CreateHttpStream(_streamHost);
        stream.OnRequestHeaders(_request, endOfStream: true);
        stream.OnResponseHeaders(_response, endOfStream: false);
        stream.OnDone();
        return _response.Count;
    }

    /// <summary>The data plane's part: the request's and response's headers copied into the maps the filter sees.</summary>
    public void FillHeaders()
    {
        _request.Clear();
        _request.Add(":method", "GET");
        _request.Add(":path", "/productpage");
        _request.Add(":authority", "bookinfo.local");
        _request.Add("user-agent", "wrk");
        for (var i = 0; i < RequestHeaders - 4; i++)
        {
            _request.Add(s_browserHeaders[i].Name, s_browserHeaders[i].Value);
        }
        _response.Clear();
        _response.Add(":status", "200");
        _response.Add("content-type", "text/html");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plugin.Dispose();
        _runtime.Dispose();
    }
}
