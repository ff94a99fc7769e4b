namespace Wasme.Oci.Wasm;

/// <summary>
/// A data segment's initial bytes, sliced from the module without copying.
/// <see cref="IsPassive"/> segments are copied into memory only by <c>memory.init</c>.
/// </summary>
public readonly record struct WasmDataSegment(ReadOnlyMemory<byte> Bytes, bool IsPassive);
