using System.Diagnostics.CodeAnalysis;

namespace Wasme.Oci.Wasm;

/// <summary>The Proxy-Wasm ABI versions a module can declare with a <c>proxy_abi_version_*</c> export.</summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "Mirrors the ABI marker export names.")]
public enum ProxyWasmAbiVersion
{
    V0_1_0,
    V0_2_0,
    V0_2_1,
}
