using System.Runtime.InteropServices;
using System.Text;
using Wasmtime;

namespace Wasme.ProxyWasm.Binding;

/// <summary>A <c>wasmtime_linker_t</c> of host functions, shared by every store of one module.</summary>
internal sealed unsafe class NativeLinker : IDisposable
{
    private readonly Engine _engine;
    private nint _handle;

    public NativeLinker(Engine engine)
    {
        _engine = engine;
        _handle = WasmtimeApi.wasmtime_linker_new(CompiledHandles.Of(engine));
    }

    public void Define(string module, string name, HostFunction function)
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        var type = FunctionType.Create(function.Parameters, function.Results);
        var environment = GCHandle.ToIntPtr(GCHandle.Alloc(function));
        var moduleBytes = Encoding.UTF8.GetBytes(module);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        nint error;
        fixed (byte* modulePointer = moduleBytes)
        fixed (byte* namePointer = nameBytes)
        {
            // Wasmtime owns the environment from here and frees it (FreeGCHandle) when the definition is dropped.
            error = WasmtimeApi.wasmtime_linker_define_func_unchecked(
                _handle, modulePointer, (nuint)moduleBytes.Length, namePointer, (nuint)nameBytes.Length, type,
                &HostFunction.Dispatch, environment, &WasmtimeApi.FreeGCHandle);
        }

        WasmtimeApi.wasm_functype_delete(type);
        if (error != 0)
        {
            throw NativeErrors.Consume(error, 0);
        }
    }

    /// <summary>Instantiates <paramref name="module"/> in <paramref name="store"/>; a trapping start function throws.</summary>
    public GuestInstance Instantiate(GuestStore store, Module module)
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        ExternInstance instance;
        nint trap = 0;
        var error = WasmtimeApi.wasmtime_linker_instantiate(_handle, store.Context, CompiledHandles.Of(module), &instance, &trap);
        GC.KeepAlive(module);
        GC.KeepAlive(_engine);
        if (error != 0 || trap != 0)
        {
            throw NativeErrors.Consume(error, trap);
        }

        return new GuestInstance(store, instance);
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            WasmtimeApi.wasmtime_linker_delete(_handle);
            _handle = 0;
        }
    }
}
