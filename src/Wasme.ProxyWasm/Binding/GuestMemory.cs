namespace Wasme.ProxyWasm.Binding;

/// <summary>An instance's linear memory. Its base moves when it grows, so callers look it up again after guest code ran.</summary>
internal sealed unsafe class GuestMemory
{
    private readonly GuestStore _store;
    private ExternMemory _memory;

    internal GuestMemory(GuestStore store, ExternMemory memory)
    {
        _store = store;
        _memory = memory;
    }

    public long GetLength()
    {
        fixed (ExternMemory* memory = &_memory)
        {
            return (long)WasmtimeApi.wasmtime_memory_data_size(_store.Context, memory);
        }
    }

    public nint GetPointer()
    {
        fixed (ExternMemory* memory = &_memory)
        {
            return (nint)WasmtimeApi.wasmtime_memory_data(_store.Context, memory);
        }
    }
}
