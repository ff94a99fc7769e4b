using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// Host cost of one request through an add-header filter: the header maps <c>wasme run</c>'s data plane makes over the
/// server's parsed request and the upstream's response (<see cref="RequestHeaderSource"/>, <see cref="ResponseHeaderSource"/>),
/// then create the stream context, request and response header callbacks, done/log, delete. The server's parsing is not
/// counted: it happens with or without filters.
/// </summary>
[MemoryDiagnoser]
public class PerRequestBenchmarks
{
    private readonly NullStreamHost _streamHost = new();
    private readonly DefaultHttpContext _http = new();
    private HeaderMap _request = null!;
    private HeaderMap _response = null!;
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

    /// <summary>Request headers per request: :method, :path, :authority, user-agent and browser headers (the data plane adds :scheme).</summary>
    [Params(4, 30)]
    public int RequestHeaders { get; set; } = 4;

    [GlobalSetup]
    public void Setup()
    {
        // The request and response as Kestrel and the forwarder leave them before the filters run.
        var request = _http.Request;
        request.Method = "GET";
        request.Scheme = "http";
        request.Host = new HostString("bookinfo.local");
        request.Path = "/productpage";
        request.Headers.UserAgent = "wrk";
        for (var i = 0; i < RequestHeaders - 4; i++)
        {
            request.Headers.Append(s_browserHeaders[i].Name, s_browserHeaders[i].Value);
        }

        _http.Response.StatusCode = 200;
        _http.Response.ContentType = "text/html";
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
        MakeHeaderMaps();
        // As wasme run's data plane (ProxyWasmHttpFilter) drives a stream.
        var stream = _plugin.CreateHttpStream(_streamHost);
        stream.OnRequestHeaders(_request, endOfStream: true);
        stream.OnResponseHeaders(_response, endOfStream: false);
        stream.Complete();
        return _response.Count;
    }

    /// <summary>
    /// The data plane's part, as <c>HttpExchange</c> does it: maps that read the request's and response's own headers in
    /// place (the filter's write copies the response's two headers in).
    /// </summary>
    public void MakeHeaderMaps()
    {
        _request = new HeaderMap(new RequestHeaderSource(_http.Request));
        _response = new HeaderMap(new ResponseHeaderSource(_http.Response));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plugin.Dispose();
        _runtime.Dispose();
    }
}
