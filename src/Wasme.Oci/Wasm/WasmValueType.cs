namespace Wasme.Oci.Wasm;

/// <summary>Value types that can appear in a function signature (binary encoding values).</summary>
public enum WasmValueType : byte
{
    I32 = 0x7F,
    I64 = 0x7E,
    F32 = 0x7D,
    F64 = 0x7C,
    V128 = 0x7B,
    FuncRef = 0x70,
    ExternRef = 0x6F,
}
