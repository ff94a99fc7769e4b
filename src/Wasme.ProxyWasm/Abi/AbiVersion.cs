namespace Wasme.ProxyWasm;

/// <summary>The Proxy-Wasm ABI a module was built against, read from its marker export.</summary>
public enum AbiVersion
{
    /// <summary><c>proxy_abi_version_0_1_0</c>.</summary>
    V010,

    /// <summary><c>proxy_abi_version_0_2_0</c>.</summary>
    V020,

    /// <summary><c>proxy_abi_version_0_2_1</c>.</summary>
    V021,
}
