using System.Runtime.InteropServices;
using Wasmtime;

namespace Wasme.ProxyWasm.Binding;

/// <summary>
/// A <c>wasmtime_store_t</c> whose data is the state given at construction: what host functions called from its instances
/// receive. Its context pointer is fixed for the store's life, so it is looked up once.
/// </summary>
internal sealed unsafe class GuestStore : IDisposable
{
    private readonly Engine _engine;
    private nint _handle;
    private nint _context;

    public GuestStore(Engine engine, object state)
    {
        _engine = engine;
        var data = GCHandle.ToIntPtr(GCHandle.Alloc(state));
        // The store frees its data handle (FreeGCHandle) when it is deleted.
        _handle = WasmtimeApi.wasmtime_store_new(CompiledHandles.Of(engine), data, &WasmtimeApi.FreeGCHandle);
        _context = WasmtimeApi.wasmtime_store_context(_handle);
    }

    /// <summary><c>wasmtime_context_t*</c>; after <see cref="Dispose"/> reading it throws, so nothing reaches a freed store.</summary>
    public nint Context
    {
        get
        {
            ObjectDisposedException.ThrowIf(_context == 0, this);
            return _context;
        }
    }

    public bool IsDisposed => _handle == 0;

    /// <summary>Resource limits; a negative value leaves that resource unlimited.</summary>
    public void SetLimits(long memorySize, long tableElements, long instances, long tables, long memories)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        WasmtimeApi.wasmtime_store_limiter(_handle, memorySize, tableElements, instances, tables, memories);
    }

    public void SetEpochDeadline(ulong ticksBeyondCurrent)
    {
        WasmtimeApi.wasmtime_context_set_epoch_deadline(Context, ticksBeyondCurrent);
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            var handle = _handle;
            _handle = 0;
            _context = 0;
            WasmtimeApi.wasmtime_store_delete(handle);
            GC.KeepAlive(_engine);
        }
    }
}
