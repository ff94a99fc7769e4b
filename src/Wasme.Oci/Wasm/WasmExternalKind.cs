namespace Wasme.Oci.Wasm;

/// <summary>What an import or export refers to (binary encoding values from the Wasm spec).</summary>
public enum WasmExternalKind : byte
{
    Function = 0,
    Table = 1,
    Memory = 2,
    Global = 3,
    Tag = 4,
}
