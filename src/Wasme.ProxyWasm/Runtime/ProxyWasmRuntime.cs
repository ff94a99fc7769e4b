using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.HostFunctions;
using Wasme.ProxyWasm.Runtime;
using Wasme.ProxyWasm.Shared;
using Wasme.ProxyWasm.Vm;
using Wasmtime;

namespace Wasme.ProxyWasm;

/// <summary>
/// The process-wide Proxy-Wasm host: one Wasmtime engine with epoch interruption, the compiled-module
/// cache, and the state filters share across VMs (shared data, shared queues, metrics).
/// Create one per process, load modules with <see cref="LoadModule(ReadOnlySpan{byte}, string)"/>,
/// and start plugins with <see cref="CreatePlugin"/>.
/// </summary>
public sealed partial class ProxyWasmRuntime : IDisposable
{
    private readonly Lock _tickerGate = new();
    private readonly CompiledModuleCache? _cache;
    private EpochTicker? _ticker;
    private long _vmsCreated;
    private long _activeVms;
    private bool _disposed;

    public ProxyWasmRuntime(ProxyWasmRuntimeOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new ProxyWasmRuntimeOptions();
        Options.Validate();
        TimeProvider = timeProvider ?? TimeProvider.System;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        var logger = LoggerFactory.CreateLogger<ProxyWasmRuntime>();
        using var config = new Config()
            .WithEpochInterruption(true)
            .WithCompilerStrategy(CompilerStrategy.Cranelift)
            .WithOptimizationLevel(OptimizationLevel.Speed)
            // Linear memory stays where it was created (it grows within its reservation): the host keeps its base.
            .WithMemoryMayMove(false);
        Engine = new Engine(config);
        if (Options.CompilationCacheDirectory is { } directory)
        {
            // Keep in step with the Config above: compiled code is only valid for the settings it was compiled with.
            var cache = new CompiledModuleCache(directory, "epoch-interruption; cranelift; speed; memory-may-move=false", Options.CompilationCacheMaxBytes, logger);
            if (cache.IsPrivate(out var reason))
            {
                _cache = cache;
            }
            else
            {
                Log.CacheDisabled(logger, reason);
            }
        }
    }

    public ProxyWasmRuntimeOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    public ILoggerFactory LoggerFactory { get; }

    internal Engine Engine { get; }

    internal ShareScope Shared { get; } = new();

    /// <summary>Compiles (or loads from the precompiled cache) a binary module and checks its ABI.</summary>
    /// <exception cref="ProxyWasmException">The module is not valid Wasm, has no known Proxy-Wasm ABI marker, or imports what this host lacks.</exception>
    public ProxyWasmModule LoadModule(ReadOnlySpan<byte> wasm, string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(wasm));
        var module = _cache?.TryLoad(Engine, sha256, name);
        var fromCache = module is not null;
        if (module is null)
        {
            try
            {
                module = Module.FromBytes(Engine, name, wasm);
            }
            catch (WasmtimeException ex)
            {
                throw new ProxyWasmException($"Module '{name}' is not a valid WebAssembly module: {ex.Message}", ex);
            }
        }

        var result = Create(module, name, sha256, fromCache);
        if (!fromCache)
        {
            _cache?.Store(module, sha256);
        }

        return result;
    }

    /// <summary>Loads a module file (see <see cref="LoadModule(ReadOnlySpan{byte}, string)"/>); the name is the file name.</summary>
    public ProxyWasmModule LoadModuleFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return LoadModule(File.ReadAllBytes(path), System.IO.Path.GetFileName(path));
    }

    /// <summary>The binary module WebAssembly text (.wat) describes, for callers that hash, cache or store modules as bytes.</summary>
    /// <exception cref="ProxyWasmException">The text is not valid WebAssembly text; the message is Wasmtime's reason.</exception>
    public static byte[] ConvertText(string wat)
    {
        ArgumentNullException.ThrowIfNull(wat);
        try
        {
            return Module.ConvertText(wat).ToArray();
        }
        catch (WasmtimeException ex)
        {
            throw new ProxyWasmException(ex.Message, ex);
        }
    }

    /// <summary>Compiles a module from WebAssembly text format (tests, quick experiments). Never cached.</summary>
    public ProxyWasmModule LoadModuleFromText(string wat, string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Module module;
        try
        {
            module = Module.FromText(Engine, name, wat);
        }
        catch (WasmtimeException ex)
        {
            throw new ProxyWasmException($"Module '{name}' is not valid WebAssembly text: {ex.Message}", ex);
        }

        return Create(module, name, "", fromCache: false);
    }

    /// <summary>
    /// Compiles a module the host itself generates (the stream-end trampoline) through the precompiled cache like any
    /// filter, so that a start that finds its filters in the cache does not pay for a compiler on their behalf.
    /// </summary>
    internal Module CompileHostModule(string wat, string name)
    {
        var wasm = Module.ConvertText(wat);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(wasm));
        if (_cache?.TryLoad(Engine, sha256, name) is { } cached)
        {
            return cached;
        }

        var module = Module.FromBytes(Engine, name, wasm);
        _cache?.Store(module, sha256);
        return module;
    }

    /// <summary>
    /// Starts a plugin: one VM per worker, each initialised, started with the VM configuration and
    /// configured with the plugin configuration, as Envoy does.
    /// </summary>
    /// <exception cref="ProxyWasmException">A VM failed to start, or the filter refused its start or configuration.</exception>
    public ProxyWasmPlugin CreatePlugin(ProxyWasmModule module, PluginConfiguration configuration, IHttpCallDispatcher? httpCalls = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Validate();
        return new ProxyWasmPlugin(this, module, configuration, httpCalls);
    }

    /// <summary>VMs instantiated so far, reloads included (Envoy's <c>wasm.&lt;runtime&gt;.created</c>).</summary>
    public long VmsCreated => Interlocked.Read(ref _vmsCreated);

    /// <summary>VMs alive now, failed ones not yet replaced included (Envoy's <c>wasm.&lt;runtime&gt;.active</c>).</summary>
    public long ActiveVms => Interlocked.Read(ref _activeVms);

    internal void OnVmCreated()
    {
        Interlocked.Increment(ref _vmsCreated);
        Interlocked.Increment(ref _activeVms);
    }

    internal void OnVmDisposed() => Interlocked.Decrement(ref _activeVms);

    /// <summary>Every metric filters have defined, for a stats endpoint.</summary>
    public IReadOnlyList<MetricSnapshot> GetMetrics() => Shared.Metrics.Snapshot();

    /// <summary>Shared data as filters of <paramref name="vmId"/> read it (<c>proxy_get_shared_data</c>); for tools that inspect it.</summary>
    public bool TryGetSharedData(string vmId, string key, out byte[] value) => Shared.Data.TryGet(vmId, key, out value, out _);

    /// <summary>Stores shared data as a filter's unconditional <c>proxy_set_shared_data</c> would; for tools that seed it.</summary>
    public void SetSharedData(string vmId, string key, byte[] value) => Shared.Data.TrySet(vmId, key, value, 0);

    /// <summary>Epoch ticks so far (-1 before the ticker starts).</summary>
    internal long EpochTicks => _ticker?.Ticks ?? -1;

    internal void EnsureEpochTicker()
    {
        if (_ticker is not null)
        {
            return;
        }

        lock (_tickerGate)
        {
            _ticker ??= new EpochTicker(Engine, Options.EpochInterval);
        }
    }

    private ProxyWasmModule Create(Module module, string name, string sha256, bool fromCache)
    {
        try
        {
            var abi = ModuleAbi.Inspect(module, name, Options.AssumedAbiVersion);
            var linker = HostLinker.Build(Engine, module, name);
            return new ProxyWasmModule(module, linker, abi, name, sha256, fromCache);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ticker?.Dispose();
        Engine.Dispose();
    }
}
