using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>A running proxy whose chain is real Proxy-Wasm plugins.</summary>
public sealed class WasmProxy : IAsyncDisposable
{
    private WasmProxy(WasmFilterSet filters, RunningProxy proxy)
    {
        Filters = filters;
        Proxy = proxy;
    }

    public WasmFilterSet Filters { get; }

    public RunningProxy Proxy { get; }

    public HttpClient Client => Proxy.Client;

    public static async Task<WasmProxy> StartAsync(
        Uri? upstream,
        IReadOnlyList<(byte[] Module, PluginConfiguration Configuration)> plugins,
        IReadOnlyDictionary<string, Uri>? clusters = null,
        TimeProvider? timeProvider = null)
    {
        clusters ??= new Dictionary<string, Uri>();
        var filters = new WasmFilterSet(clusters, TestLogging.Factory, timeProvider ?? TimeProvider.System);
        try
        {
            foreach (var (module, configuration) in plugins)
            {
                filters.Add(module, configuration);
            }

            var proxy = await RunningProxy.StartAsync(upstream, filters.Factories, o => o with { Clusters = clusters }, [filters.MetricsSource]);
            return new WasmProxy(filters, proxy);
        }
        catch
        {
            filters.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        Filters.Dispose();
    }
}
