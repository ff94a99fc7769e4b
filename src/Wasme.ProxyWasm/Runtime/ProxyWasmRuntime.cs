using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wasme.ProxyWasm;

/// <summary>
/// The process-wide Proxy-Wasm host: one Wasmtime engine with epoch interruption, the compiled-module
/// cache, and the state filters share across VMs (shared data, shared queues, metrics).
/// Create one per process, load modules with <see cref="LoadModule(ReadOnlySpan{byte}, string)"/>,
/// and start plugins with <see cref="CreatePlugin"/>.
/// </summary>
public sealed partial class ProxyWasmRuntime : IDisposable
{
    public ProxyWasmRuntime(ProxyWasmRuntimeOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new ProxyWasmRuntimeOptions();
        Options.Validate();
        TimeProvider = timeProvider ?? TimeProvider.System;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    public ProxyWasmRuntimeOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Compiles (or loads from the precompiled cache) a binary module and checks its ABI.</summary>
    /// <exception cref="ProxyWasmException">The module is not valid Wasm or has no known Proxy-Wasm ABI marker.</exception>
    public ProxyWasmModule LoadModule(ReadOnlySpan<byte> wasm, string name) => throw new NotImplementedException();

    /// <summary>Compiles a module from WebAssembly text format (tests, quick experiments).</summary>
    public ProxyWasmModule LoadModuleFromText(string wat, string name) => throw new NotImplementedException();

    /// <summary>
    /// Starts a plugin: one VM per worker, each initialised, started with the VM configuration and
    /// configured with the plugin configuration, as Envoy does.
    /// </summary>
    /// <exception cref="ProxyWasmException">A VM failed to start, or the filter refused its start or configuration.</exception>
    public ProxyWasmPlugin CreatePlugin(ProxyWasmModule module, PluginConfiguration configuration, IHttpCallDispatcher? httpCalls = null)
        => throw new NotImplementedException();

    /// <summary>Every metric filters have defined, for a stats endpoint.</summary>
    public IReadOnlyList<MetricSnapshot> GetMetrics() => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
