namespace Wasme.Oci.Wasm;

/// <summary>An import. <see cref="FunctionType"/> is set for function imports only.</summary>
public sealed record WasmImport(string Module, string Name, WasmExternalKind Kind, WasmFunctionType? FunctionType);
