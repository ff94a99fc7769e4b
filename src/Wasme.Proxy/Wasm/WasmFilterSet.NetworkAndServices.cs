using Wasme.ProxyWasm;

namespace Wasme.Proxy.Wasm;

/// <summary>Plugins outside the HTTP chain: TCP (network) filters and services (Envoy's <c>envoy.bootstrap.wasm</c>).</summary>
public sealed partial class WasmFilterSet
{
    private readonly List<ProxyWasmPlugin> _networkPlugins = [];
    private readonly List<ProxyWasmPlugin> _services = [];
    private readonly List<ProxyWasmModule> _otherModules = [];

    /// <summary>The TCP filters, in chain order.</summary>
    public IReadOnlyList<ProxyWasmPlugin> NetworkPlugins => _networkPlugins;

    /// <summary>The services: VMs with a root context only, running from start to stop.</summary>
    public IReadOnlyList<ProxyWasmPlugin> Services => _services;

    /// <summary>Starts a plugin as a TCP filter (<c>envoy.filters.network.wasm</c>) and appends it to the network chain.</summary>
    /// <exception cref="ProxyWasmException">Not a Proxy-Wasm module, or the filter refused to start or to take its configuration.</exception>
    public ProxyWasmPlugin AddNetwork(ReadOnlySpan<byte> module, PluginConfiguration configuration)
    {
        var plugin = Start(module, configuration);
        _networkPlugins.Add(plugin);
        return plugin;
    }

    /// <summary>
    /// Starts a plugin as a service (<c>envoy.bootstrap.wasm</c>): no HTTP stream or connection ever reaches it; its
    /// root context runs <c>proxy_on_vm_start</c>, <c>proxy_on_configure</c>, ticks, http_call responses and shared-queue
    /// callbacks. A singleton service runs one VM (set <see cref="PluginConfiguration.Workers"/> to 1), as Envoy does.
    /// </summary>
    /// <exception cref="ProxyWasmException">Not a Proxy-Wasm module, or the service refused to start or to take its configuration.</exception>
    public ProxyWasmPlugin AddService(ReadOnlySpan<byte> module, PluginConfiguration configuration)
    {
        var plugin = Start(module, configuration);
        _services.Add(plugin);
        return plugin;
    }

    private ProxyWasmPlugin Start(ReadOnlySpan<byte> module, PluginConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var compiled = Runtime.LoadModule(module, configuration.Name);
        _otherModules.Add(compiled);
        return Runtime.CreatePlugin(compiled, configuration, _httpCalls);
    }

    private void DisposeNetworkAndServices()
    {
        foreach (var plugin in _networkPlugins.Concat(_services))
        {
            plugin.Dispose();
        }

        foreach (var module in _otherModules)
        {
            module.Dispose();
        }
    }
}
