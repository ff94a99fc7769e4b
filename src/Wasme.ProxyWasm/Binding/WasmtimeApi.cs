using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wasme.ProxyWasm.Binding;

/// <summary>
/// The part of Wasmtime's C API the data plane calls on every request, bound directly: unchecked calls into the
/// guest, host functions entered through one unmanaged entry point, and linear memory. wasmtime-dotnet (which still
/// compiles and caches modules) looks up the store context, builds a Caller and boxes values on each of these.
/// Functions that only read store state and never call back into .NET skip the GC transition.
/// </summary>
internal static unsafe partial class WasmtimeApi
{
    // The same native library wasmtime-dotnet loads (its Engine.LibraryName), shipped by the Wasmtime package.
    private const string Library = "wasmtime";

    [LibraryImport(Library)]
    public static partial nint wasmtime_store_new(nint engine, nint data, delegate* unmanaged[Cdecl]<nint, void> finalizer);

    [LibraryImport(Library)]
    public static partial nint wasmtime_store_context(nint store);

    [LibraryImport(Library)]
    public static partial void wasmtime_store_delete(nint store);

    [LibraryImport(Library)]
    public static partial void wasmtime_store_limiter(nint store, long memorySize, long tableElements, long instances, long tables, long memories);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial void wasmtime_context_set_epoch_deadline(nint context, ulong ticksBeyondCurrent);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial nint wasmtime_context_get_data(nint context);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial nint wasmtime_caller_context(nint caller);

    [LibraryImport(Library)]
    public static partial nint wasmtime_linker_new(nint engine);

    [LibraryImport(Library)]
    public static partial void wasmtime_linker_delete(nint linker);

    [LibraryImport(Library)]
    public static partial nint wasmtime_linker_define_func_unchecked(
        nint linker,
        byte* module,
        nuint moduleLength,
        byte* name,
        nuint nameLength,
        nint functionType,
        delegate* unmanaged[Cdecl]<nint, nint, RawValue*, nuint, nint> callback,
        nint environment,
        delegate* unmanaged[Cdecl]<nint, void> finalizer);

    [LibraryImport(Library)]
    public static partial nint wasmtime_instance_new(nint context, nint module, ExternItem* imports, nuint importCount, ExternInstance* instance, nint* trap);

    [LibraryImport(Library)]
    public static partial nint wasmtime_linker_instantiate(nint linker, nint context, nint module, ExternInstance* instance, nint* trap);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool wasmtime_instance_export_get(nint context, ExternInstance* instance, byte* name, nuint nameLength, ExternItem* item);

    [LibraryImport(Library)]
    public static partial nint wasmtime_func_call_unchecked(nint context, ExternFunc* function, RawValue* argumentsAndResults, nuint length, nint* trap);

    [LibraryImport(Library)]
    public static partial nint wasmtime_func_type(nint context, ExternFunc* function);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial byte* wasmtime_memory_data(nint context, ExternMemory* memory);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    public static partial nuint wasmtime_memory_data_size(nint context, ExternMemory* memory);

    [LibraryImport(Library)]
    public static partial nint wasm_valtype_new(ValueType kind);

    [LibraryImport(Library)]
    public static partial ValueType wasm_valtype_kind(nint valueType);

    [LibraryImport(Library)]
    public static partial void wasm_valtype_vec_new(NativeVector* vector, nuint size, nint* data);

    [LibraryImport(Library)]
    public static partial nint wasm_functype_new(NativeVector* parameters, NativeVector* results);

    [LibraryImport(Library)]
    public static partial NativeVector* wasm_functype_params(nint functionType);

    [LibraryImport(Library)]
    public static partial NativeVector* wasm_functype_results(nint functionType);

    [LibraryImport(Library)]
    public static partial void wasm_functype_delete(nint functionType);

    [LibraryImport(Library)]
    public static partial nint wasmtime_trap_new(byte* message, nuint length);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool wasmtime_trap_code(nint trap, byte* code);

    [LibraryImport(Library)]
    public static partial void wasm_trap_message(nint trap, NativeVector* message);

    [LibraryImport(Library)]
    public static partial void wasm_trap_delete(nint trap);

    [LibraryImport(Library)]
    public static partial void wasmtime_error_message(nint error, NativeVector* message);

    [LibraryImport(Library)]
    public static partial void wasmtime_error_delete(nint error);

    [LibraryImport(Library)]
    public static partial void wasm_byte_vec_delete(NativeVector* vector);

    /// <summary>Frees a <see cref="GCHandle"/> handed to Wasmtime as a store's data or a host function's environment.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreeGCHandle(nint handle) => GCHandle.FromIntPtr(handle).Free();
}
