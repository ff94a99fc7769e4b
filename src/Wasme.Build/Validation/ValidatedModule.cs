using Wasme.Oci;
using Wasme.Oci.Wasm;

namespace Wasme.Build.Validation;

/// <summary>
/// A module that passed validation, with the runtime config to store alongside it
/// (<see cref="Config"/> has the module's ABI versions filled in when the project declared none).
/// </summary>
public sealed record ValidatedModule(WasmModule Module, IReadOnlyList<ProxyWasmAbiVersion> AbiVersions, RuntimeConfig Config)
{
    /// <summary>Doubts that do not stop the build (a root id not seen in the module's data).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
