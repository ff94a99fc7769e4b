namespace Wasme.Oci.Wasm;

/// <summary>An export. <see cref="FunctionType"/> is set for function exports only.</summary>
public sealed record WasmExport(string Name, WasmExternalKind Kind, uint Index, WasmFunctionType? FunctionType);
