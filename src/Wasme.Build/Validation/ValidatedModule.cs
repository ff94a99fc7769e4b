using Wasme.Oci;
using Wasme.Oci.Wasm;

namespace Wasme.Build.Validation;

/// <summary>
/// A module that passed validation, with the runtime config to store alongside it
/// (<see cref="Config"/> has the module's ABI versions filled in when the project declared none).
/// </summary>
public sealed record ValidatedModule(WasmModule Module, IReadOnlyList<ProxyWasmAbiVersion> AbiVersions, RuntimeConfig Config);
