using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wasme.ProxyWasm.Binding;

// Layouts of the Wasmtime C API's value types (wasmtime/val.h, wasmtime/extern.h, wasm.h), as in the Wasmtime version
// the Wasmtime package ships; BindingLayoutTests checks them against that package's own definitions.

/// <summary><c>wasmtime_val_raw_t</c>: one argument or result slot of an unchecked call, little-endian.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct RawValue
{
    [FieldOffset(0)] public int I32;
    [FieldOffset(0)] public long I64;

    /// <summary>Reads the slot as an <c>int</c> or a <c>long</c> (both start at offset 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Read<T>(ref RawValue slot) where T : unmanaged => Unsafe.As<RawValue, T>(ref slot);
}

/// <summary><c>wasmtime_func_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ExternFunc
{
    public ulong StoreId;
    public nint Private;
}

/// <summary><c>wasmtime_memory_t</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ExternMemory
{
    [FieldOffset(0)] public ulong StoreId;
    [FieldOffset(8)] public uint Private1;
    [FieldOffset(16)] public uint Private2;
}

/// <summary><c>wasmtime_instance_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ExternInstance
{
    public ulong StoreId;
    public nuint Private;
}

/// <summary><c>wasmtime_extern_t</c>: a kind and a 24-byte union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct ExternItem
{
    public const byte FuncKind = 0;
    public const byte MemoryKind = 3;

    [FieldOffset(0)] public byte Kind;
    [FieldOffset(8)] public ExternFunc Func;
    [FieldOffset(8)] public ExternMemory Memory;
}

/// <summary><c>wasm_byte_vec_t</c> and the other <c>wasm_*_vec_t</c>: a size and a pointer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeVector
{
    public nuint Size;
    public void* Data;
}

/// <summary><c>wasm_valkind_t</c> of the value types Proxy-Wasm and WASI functions use.</summary>
internal enum ValueType : byte
{
    I32 = 0,
    I64 = 1,
    F32 = 2,
    F64 = 3,
}
