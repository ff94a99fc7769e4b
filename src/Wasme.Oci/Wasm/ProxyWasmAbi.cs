using System.Diagnostics.CodeAnalysis;

namespace Wasme.Oci.Wasm;

/// <summary>
/// Names of the Proxy-Wasm ABI versions and how a module declares them: hosts look for an exported
/// function named <c>proxy_abi_version_X_Y_Z</c> (see proxy-wasm-cpp-host <c>getAbiVersion</c>).
/// In runtime-config.json the versions are written <c>v0.2.1</c>, as the original wasme did.
/// </summary>
public static class ProxyWasmAbi
{
    public static IReadOnlyList<ProxyWasmAbiVersion> All { get; } =
        [ProxyWasmAbiVersion.V0_1_0, ProxyWasmAbiVersion.V0_2_0, ProxyWasmAbiVersion.V0_2_1];

    /// <summary>The marker export, e.g. <c>proxy_abi_version_0_2_1</c>.</summary>
    public static string ExportName(ProxyWasmAbiVersion version) => version switch
    {
        ProxyWasmAbiVersion.V0_1_0 => "proxy_abi_version_0_1_0",
        ProxyWasmAbiVersion.V0_2_0 => "proxy_abi_version_0_2_0",
        ProxyWasmAbiVersion.V0_2_1 => "proxy_abi_version_0_2_1",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>The name used in runtime-config.json and image annotations, e.g. <c>v0.2.1</c>.</summary>
    public static string Name(ProxyWasmAbiVersion version) => version switch
    {
        ProxyWasmAbiVersion.V0_1_0 => "v0.1.0",
        ProxyWasmAbiVersion.V0_2_0 => "v0.2.0",
        ProxyWasmAbiVersion.V0_2_1 => "v0.2.1",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>Accepts <c>v0.2.1</c>, <c>0.2.1</c> and <c>proxy_abi_version_0_2_1</c>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ProxyWasmAbiVersion? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var candidate in All)
        {
            var name = Name(candidate);
            if (string.Equals(text, name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, name[1..], StringComparison.Ordinal)
                || string.Equals(text, ExportName(candidate), StringComparison.Ordinal))
            {
                version = candidate;
                return true;
            }
        }

        return false;
    }

    /// <summary>Every ABI version the module declares through a marker function export, oldest first.</summary>
    public static IReadOnlyList<ProxyWasmAbiVersion> DetectVersions(WasmModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var found = new List<ProxyWasmAbiVersion>(1);
        foreach (var version in All)
        {
            if (module.FindExport(ExportName(version)) is { Kind: WasmExternalKind.Function })
            {
                found.Add(version);
            }
        }

        return found;
    }
}
