using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Binding;
using Wasme.ProxyWasm.Shared;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// One Wasmtime store + instance running one plugin: its root context, its stream contexts, and the state
/// host functions act on. Every entry into the guest happens under <see cref="Gate"/> with a fresh epoch deadline;
/// a trap, an interrupted call or a refused start marks the VM failed for good (the plugin decides what next).
/// </summary>
internal sealed partial class ProxyWasmVm : IQueueOwner, IDisposable
{
    public const int RootContextId = 1;

    private readonly GuestStore _store;
    private readonly GuestInstance _instance;
    private readonly GuestMemory _memory;
    private readonly ulong _deadlineTicks;
    // Deleted stream contexts' states, reused for new streams (a request allocates none); enough for the streams a
    // VM runs at once on a busy proxy, beyond that they go to the GC.
    private const int MaxFreeContexts = 64;
    private readonly Dictionary<int, ContextState> _contexts = [];
    private readonly Stack<ContextState> _freeContexts = new();
    private readonly Action<ProxyWasmVm>? _onFailed;
    private readonly CancellationTokenSource _lifetime = new();
    private int _nextContextId = RootContextId + 1;
    private int _nextCallId = 1;
    private ITimer? _tickTimer;
    private bool _disposed;
    private int _guestDepth;
    private long _deadlineArmedAtTick = long.MinValue;
    private bool _sharedStateRefused;
    private bool _metricRefused;

    private ProxyWasmVm(ProxyWasmRuntime runtime, ProxyWasmModule module, PluginConfiguration config, IHttpCallDispatcher? httpCalls, Action<ProxyWasmVm>? onFailed)
    {
        Runtime = runtime;
        Module = module;
        Config = config;
        HttpCalls = httpCalls;
        _onFailed = onFailed;
        Logger = runtime.LoggerFactory.CreateLogger("Wasme.ProxyWasm.Filter." + config.Name);
        Root = new ContextState(RootContextId, null) { CreatedAt = runtime.TimeProvider.GetUtcNow() };
        Current = Root;
        _contexts[RootContextId] = Root;
        var ticks = (ulong)Math.Ceiling(config.Limits.CallTimeout / runtime.Options.EpochInterval);
        _deadlineTicks = Math.Max(ticks, 1) + 1;

        _store = new GuestStore(runtime.Engine, this);
        _store.SetLimits(memorySize: config.Limits.MaxMemoryBytes, tableElements: 100_000, instances: 1, tables: 4, memories: 1);
        runtime.EnsureEpochTicker();
        _store.SetEpochDeadline(_deadlineTicks);
        try
        {
            _instance = module.Linker.Instantiate(_store, module.Compiled);
        }
        catch (GuestTrapException ex)
        {
            _store.Dispose();
            throw new ProxyWasmException($"Plugin '{config.Name}': the module could not be instantiated: {ex.Message}", ex);
        }

        _memory = _instance.GetMemory("memory")
            ?? throw new ProxyWasmException($"Plugin '{config.Name}': the module exports no memory named 'memory'; Proxy-Wasm hosts need it to exchange data.");
        BindCallbacks();
        runtime.OnVmCreated();
    }

    public ProxyWasmRuntime Runtime { get; }

    public ProxyWasmModule Module { get; }

    public PluginConfiguration Config { get; }

    public IHttpCallDispatcher? HttpCalls { get; }

    public ILogger Logger { get; }

    /// <summary>Serialises every entry into the guest (stores are single-threaded).</summary>
    public Lock Gate { get; } = new();

    public ContextState Root { get; }

    /// <summary>The context host functions act on (<c>proxy_set_effective_context</c> changes it).</summary>
    public ContextState Current { get; set; }

    public bool IsFailed { get; private set; }

    public string? FailureReason { get; private set; }

    /// <summary>Inside <c>proxy_on_vm_start</c>: VM configuration is "the" configuration for 0.1.0 modules.</summary>
    public bool InVmStart { get; private set; }

    /// <summary>Inside the allocator: only a few host functions may run (cpp-host's restricted callbacks).</summary>
    public bool InAllocator { get; private set; }

    /// <summary>The http_call response being delivered, during <c>proxy_on_http_call_response</c>.</summary>
    public HttpCallResponse? CallResponse { get; private set; }

    /// <summary>Arguments of the foreign function being called back (CALL_DATA buffer); none in this host yet.</summary>
    public ReadOnlyMemory<byte>? ForeignArguments { get; set; }

    public bool InGuest => _guestDepth > 0;

    internal ShareScope Shared => Runtime.Shared;

    /// <summary>Creates, initialises, starts and configures a VM. Throws when any step fails.</summary>
    public static ProxyWasmVm Start(ProxyWasmRuntime runtime, ProxyWasmModule module, PluginConfiguration config, IHttpCallDispatcher? httpCalls, Action<ProxyWasmVm>? onFailed)
    {
        var vm = new ProxyWasmVm(runtime, module, config, httpCalls, onFailed);
        try
        {
            lock (vm.Gate)
            {
                vm.Initialize();
            }

            return vm;
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    private void Initialize()
    {
        var name = Config.Name;
        if (_initialize is not null)
        {
            Run("_initialize", () => _initialize());
            if (_main is not null)
            {
                Run("main", () => _main(0, 0));
            }
        }
        else if (_start is not null)
        {
            Run("_start", () => _start());
        }

        Run("proxy_on_context_create", () => _onContextCreate?.Invoke(RootContextId, 0));
        var started = true;
        InVmStart = true;
        try
        {
            Run("proxy_on_vm_start", () => started = _onVmStart is null || _onVmStart(RootContextId, Config.VmConfiguration.Length) != 0);
        }
        finally
        {
            InVmStart = false;
        }

        if (!started)
        {
            throw new ProxyWasmException($"Plugin '{name}': the filter refused to start (proxy_on_vm_start returned false). Check the VM configuration and the filter's log.");
        }

        var configured = true;
        Run("proxy_on_configure", () => configured = _onConfigure is null || _onConfigure(RootContextId, Config.Configuration.Length) != 0);
        if (!configured)
        {
            throw new ProxyWasmException($"Plugin '{name}': the filter rejected its configuration (proxy_on_configure returned false). Check the plugin configuration and the filter's log.");
        }

        void Run(string function, Action call)
        {
            if (!TryEnter())
            {
                throw new ProxyWasmException($"Plugin '{name}': the VM failed before {function}: {FailureReason}");
            }

            Current = Root;
            try
            {
                call();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(function, ex, notify: false);
                throw new ProxyWasmException($"Plugin '{name}': {function} failed: {FailureReason}", ex);
            }
            finally
            {
                Exit();
            }
        }
    }

    /// <summary>True the first time this VM is refused shared data or queue space: the warning is logged once, not per call.</summary>
    public bool FirstSharedStateRefusal()
    {
        var first = !_sharedStateRefused;
        _sharedStateRefused = true;
        return first;
    }

    /// <summary>True the first time this VM is refused a new metric.</summary>
    public bool FirstMetricRefusal()
    {
        var first = !_metricRefused;
        _metricRefused = true;
        return first;
    }

    /// <summary>Marks the VM failed (sticky), stops its timer, and tells the plugin.</summary>
    public void Fail(string function, Exception exception, bool notify = true)
    {
        var reason = exception is GuestTrapException { IsInterrupt: true }
            ? $"the call exceeded its {Config.Limits.CallTimeout.TotalMilliseconds:0} ms deadline and was interrupted"
            : exception.Message;
        Fail(function, reason, notify);
    }

    public void Fail(string function, string reason, bool notify = true)
    {
        if (IsFailed)
        {
            return;
        }

        IsFailed = true;
        FailureReason = reason;
        _tickTimer?.Dispose();
        _tickTimer = null;
        Log.VmFailed(Logger, Config.Name, function, reason);
        if (notify)
        {
            _onFailed?.Invoke(this);
        }
    }

    /// <summary>Arms the call deadline; false when the VM can no longer be entered.</summary>
    private bool TryEnter()
    {
        if (IsFailed || _disposed)
        {
            return false;
        }

        // Re-arming is a native call; within one epoch tick the deadline armed before is as far ahead as a new one
        // (ticks are 10 ms apart, calls a few microseconds), so most calls skip it.
        if (_guestDepth++ == 0 && Runtime.EpochTicks is var tick && tick != _deadlineArmedAtTick)
        {
            _store.SetEpochDeadline(_deadlineTicks);
            _deadlineArmedAtTick = tick;
        }

        return true;
    }

    private void Exit()
    {
        _guestDepth--;
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            // Nothing may reach the freed memory through the cached base.
            _memoryBase = 0;
            _memoryLength = 0;
            _tickTimer?.Dispose();
            _lifetime.Cancel();
            _lifetime.Dispose();
            Runtime.Shared.Queues.Release(this);
            _store.Dispose();
            Runtime.OnVmDisposed();
        }
    }
}
