using Wasme.ProxyWasm;
using Wasme.ProxyWasm.Binding;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// The floor under <see cref="PerRequestBenchmarks"/>: the same add-header module entered the same way (six callbacks per
/// request, its two host calls and the allocator call the header read makes), through the binding and engine settings
/// the host uses, with host functions that do no work and no locks, contexts or maps. It enters the guest once per
/// callback, as the host did until it ran a stream's start and its end through its trampoline (three entries instead of
/// six); it stays that way so that figures compare across sessions and with <see cref="WasmtimeDotnetCallFloor"/>.
/// </summary>
internal sealed class CallFloor : IDisposable
{
    private readonly ProxyWasmRuntime _runtime = new();
    private readonly Wasmtime.Module _module;
    private readonly NativeLinker _linker;
    private readonly GuestStore _store;
    private readonly FloorCallbacks _callbacks;
    private readonly Func<int, int> _allocate;

    public CallFloor()
    {
        _module = Wasmtime.Module.FromText(_runtime.Engine, "add_header", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "add_header.wat")));
        _linker = new NativeLinker(_runtime.Engine);
        _linker.Define("env", "proxy_log", new HostFunction<CallFloor, int, int, int>(static (_, _, _, _) => 0));
        _linker.Define("env", "proxy_get_buffer_bytes", new HostFunction<CallFloor, int, int, int, int, int>(static (_, _, _, _, _, _) => 0));
        // The real header read hands its value to the guest through the guest's allocator: so does the floor.
        _linker.Define("env", "proxy_get_header_map_value", new HostFunction<CallFloor, int, int, int, int, int>(static (floor, _, _, _, _, _) => floor._allocate(12) == 0 ? 1 : 0));
        _linker.Define("env", "proxy_add_header_map_value", new HostFunction<CallFloor, int, int, int, int, int>(static (floor, _, _, _, _, _) => floor is null ? 1 : 0));
        _linker.Define("env", "proxy_set_effective_context", new HostFunction<CallFloor, int>(static (_, _) => 0));
        _store = new GuestStore(_runtime.Engine, this);
        _store.SetEpochDeadline(ulong.MaxValue / 2);
        var instance = _linker.Instantiate(_store, _module);
        _callbacks = new FloorCallbacks(
            instance.GetAction2("proxy_on_context_create")!,
            instance.GetFunction3("proxy_on_request_headers")!,
            instance.GetFunction3("proxy_on_response_headers")!,
            instance.GetFunction1("proxy_on_done")!,
            instance.GetAction1("proxy_on_log")!,
            instance.GetAction1("proxy_on_delete")!);
        _allocate = instance.GetFunction1("proxy_on_memory_allocate")!;
        _callbacks.ContextCreate(1, 0);
    }

    public int Request() => _callbacks.Request();

    public void Dispose()
    {
        _store.Dispose();
        _linker.Dispose();
        _module.Dispose();
        _runtime.Dispose();
    }
}
