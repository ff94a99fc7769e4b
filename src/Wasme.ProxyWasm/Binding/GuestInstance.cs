using System.Text;

namespace Wasme.ProxyWasm.Binding;

/// <summary>An instantiated module: its exported functions (checked against the signature the host calls them with) and memory.</summary>
internal sealed unsafe class GuestInstance
{
    private readonly GuestStore _store;
    private ExternInstance _instance;

    internal GuestInstance(GuestStore store, ExternInstance instance)
    {
        _store = store;
        _instance = instance;
    }

    /// <summary>
    /// The exported function <paramref name="name"/> when it takes <paramref name="parameters"/> i32s and returns
    /// <paramref name="results"/> i32s; null when it is missing or has another signature (unchecked calls rely on it).
    /// </summary>
    public GuestFunction? GetFunction(string name, int parameters, int results)
    {
        if (!TryGetExport(name, out var item) || item.Kind != ExternItem.FuncKind)
        {
            return null;
        }

        var function = item.Func;
        var type = WasmtimeApi.wasmtime_func_type(_store.Context, &function);
        try
        {
            return FunctionType.IsAllI32(type, parameters, results) ? new GuestFunction(_store, function, parameters, results) : null;
        }
        finally
        {
            WasmtimeApi.wasm_functype_delete(type);
        }
    }

    /// <summary>Instantiates <paramref name="module"/> with <paramref name="imports"/> given in the module's import order.</summary>
    public static GuestInstance Instantiate(GuestStore store, Wasmtime.Module module, ReadOnlySpan<ExternItem> imports)
    {
        ExternInstance instance;
        nint trap = 0;
        nint error;
        fixed (ExternItem* items = imports)
        {
            error = WasmtimeApi.wasmtime_instance_new(store.Context, CompiledHandles.Of(module), items, (nuint)imports.Length, &instance, &trap);
        }

        GC.KeepAlive(module);
        if (error != 0 || trap != 0)
        {
            throw NativeErrors.Consume(error, trap);
        }

        return new GuestInstance(store, instance);
    }

    public GuestMemory? GetMemory(string name)
        => TryGetExport(name, out var item) && item.Kind == ExternItem.MemoryKind ? new GuestMemory(_store, item.Memory) : null;

    public Action? GetAction0(string name) => GetFunction(name, 0, 0) is { } f ? f.Run : null;

    public Action<int>? GetAction1(string name) => GetFunction(name, 1, 0) is { } f ? f.Run : null;

    public Action<int, int>? GetAction2(string name) => GetFunction(name, 2, 0) is { } f ? f.Run : null;

    public Action<int, int, int>? GetAction3(string name) => GetFunction(name, 3, 0) is { } f ? f.Run : null;

    public Action<int, int, int, int, int>? GetAction5(string name) => GetFunction(name, 5, 0) is { } f ? f.Run : null;

    public Func<int, int>? GetFunction1(string name) => GetFunction(name, 1, 1) is { } f ? f.Call : null;

    public Func<int, int, int>? GetFunction2(string name) => GetFunction(name, 2, 1) is { } f ? f.Call : null;

    public Func<int, int, int, int>? GetFunction3(string name) => GetFunction(name, 3, 1) is { } f ? f.Call : null;

    internal bool TryGetExport(string name, out ExternItem item)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        ExternItem found;
        bool exists;
        fixed (byte* pointer = bytes)
        fixed (ExternInstance* instance = &_instance)
        {
            exists = WasmtimeApi.wasmtime_instance_export_get(_store.Context, instance, pointer, (nuint)bytes.Length, &found);
        }

        item = found;
        return exists;
    }
}
