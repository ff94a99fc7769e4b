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

    [Params("wat", "assemblyscript")]
    public string Filter { get; set; } = "wat";

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
        _request.Clear();
        _request.Add(":method", "GET");
        _request.Add(":path", "/productpage");
        _request.Add(":authority", "bookinfo.local");
        _request.Add("user-agent", "wrk");
        _response.Clear();
        _response.Add(":status", "200");
        _response.Add("content-type", "text/html");
        using var stream = _plugin.CreateHttpStream(_streamHost);
        stream.OnRequestHeaders(_request, endOfStream: true);
        stream.OnResponseHeaders(_response, endOfStream: false);
        stream.OnDone();
        return _response.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plugin.Dispose();
        _runtime.Dispose();
    }
}
