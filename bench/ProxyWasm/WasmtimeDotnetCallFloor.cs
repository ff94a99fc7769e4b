using Wasmtime;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// <see cref="CallFloor"/> through wasmtime-dotnet's typed functions and <c>Caller</c> host functions, which the host
/// called through before it bound Wasmtime's C API directly: what that binding cost per request.
/// </summary>
internal sealed class WasmtimeDotnetCallFloor : IDisposable
{
    private readonly Engine _engine = new();
    private readonly Module _module;
    private readonly Linker _linker;
    private readonly Store _store;
    private readonly FloorCallbacks _callbacks;
    private readonly Func<int, int> _allocate;

    public WasmtimeDotnetCallFloor()
    {
        _module = Module.FromText(_engine, "add_header", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "add_header.wat")));
        _linker = new Linker(_engine);
        _linker.DefineFunction("env", "proxy_log", (CallerFunc<int, int, int, int>)((_, _, _, _) => 0));
        _linker.DefineFunction("env", "proxy_get_buffer_bytes", (CallerFunc<int, int, int, int, int, int>)((_, _, _, _, _, _) => 0));
        // The real header read hands its value to the guest through the guest's allocator: so does the floor.
        _linker.DefineFunction("env", "proxy_get_header_map_value", (CallerFunc<int, int, int, int, int, int>)((caller, _, _, _, _, _) => ((WasmtimeDotnetCallFloor)caller.GetData()!)._allocate(12) == 0 ? 1 : 0));
        _linker.DefineFunction("env", "proxy_add_header_map_value", (CallerFunc<int, int, int, int, int, int>)((caller, _, _, _, _, _) => caller.GetData() is null ? 1 : 0));
        _linker.DefineFunction("env", "proxy_set_effective_context", (CallerFunc<int, int>)((_, _) => 0));
        _store = new Store(_engine, this);
        var instance = _linker.Instantiate(_store, _module);
        _callbacks = new FloorCallbacks(
            instance.GetAction<int, int>("proxy_on_context_create")!,
            instance.GetFunction<int, int, int, int>("proxy_on_request_headers")!,
            instance.GetFunction<int, int, int, int>("proxy_on_response_headers")!,
            instance.GetFunction<int, int>("proxy_on_done")!,
            instance.GetAction<int>("proxy_on_log")!,
            instance.GetAction<int>("proxy_on_delete")!);
        _allocate = instance.GetFunction<int, int>("proxy_on_memory_allocate")!;
        _callbacks.ContextCreate(1, 0);
    }

    public int Request() => _callbacks.Request();

    public void Dispose()
    {
        _store.Dispose();
        _linker.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }
}
