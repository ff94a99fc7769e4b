using Microsoft.Extensions.Logging;
using Wasme.Proxy.Admin;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Upstreams;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Wasm;

/// <summary>
/// The Proxy-Wasm side of a running proxy: one runtime (shared data, queues and metrics across plugins), the
/// http_call dispatcher for the named clusters, and the plugins in chain order. Dispose after the server stops.
/// </summary>
public sealed partial class WasmFilterSet : IDisposable
{
    private readonly List<ProxyWasmPlugin> _plugins = [];
    private readonly List<ProxyWasmModule> _modules = [];
    private readonly List<IHttpFilterFactory> _factories = [];
    private readonly ClusterHttpCallDispatcher _httpCalls;

    public WasmFilterSet(IReadOnlyDictionary<string, Uri> clusters, ILoggerFactory loggerFactory, TimeProvider timeProvider, ProxyWasmRuntimeOptions? options = null)
    {
        Runtime = new ProxyWasmRuntime(options, timeProvider, loggerFactory);
        _httpCalls = new ClusterHttpCallDispatcher(clusters, WasmCodeLimits.MaxHttpCallResponseBytes, loggerFactory.CreateLogger<ClusterHttpCallDispatcher>());
        MetricsSource = new ProxyWasmMetricsSource(Runtime, _plugins);
    }

    public ProxyWasmRuntime Runtime { get; }

    /// <summary>The plugins as filters, in the order they were added (the chain order).</summary>
    public IReadOnlyList<IHttpFilterFactory> Factories => _factories;

    public IReadOnlyList<ProxyWasmPlugin> Plugins => _plugins;

    public IFilterMetricsSource MetricsSource { get; }

    /// <summary>Compiles the module, starts one VM per worker (root context, on_vm_start, on_configure) and appends the filter.</summary>
    /// <exception cref="ProxyWasmException">Not a Proxy-Wasm module, or the filter refused to start or to take its configuration.</exception>
    public ProxyWasmPlugin Add(ReadOnlySpan<byte> module, PluginConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var compiled = Runtime.LoadModule(module, configuration.Name);
        _modules.Add(compiled);
        var plugin = Runtime.CreatePlugin(compiled, configuration, _httpCalls);
        _plugins.Add(plugin);
        _factories.Add(new ProxyWasmFilterFactory(plugin));
        return plugin;
    }

    public void Dispose()
    {
        DisposeNetworkAndServices();
        foreach (var plugin in _plugins)
        {
            plugin.Dispose();
        }

        foreach (var module in _modules)
        {
            module.Dispose();
        }

        _httpCalls.Dispose();
        Runtime.Dispose();
    }
}

/// <summary>Size bounds for what filters pull into the proxy.</summary>
public static class WasmCodeLimits
{
    /// <summary>Largest http_call response body delivered to a filter.</summary>
    public const int MaxHttpCallResponseBytes = 16 * 1024 * 1024;
}
