namespace Wasme.Istio.Versions;

/// <summary>
/// What each Istio release can run and accept, as data (the original hard-coded a registry that lagged every release).
/// Add a row when a release changes what it supports; later releases inherit the last row.
/// </summary>
public static class IstioCompatibility
{
    public static IstioVersion Oldest { get; } = new(1, 5);

    /// <summary>Envoy v3 typed filter config (<c>typed_config</c>) instead of the v2 untyped <c>config</c>.</summary>
    public static IstioVersion TypedConfig { get; } = new(1, 7);

    /// <summary><c>fail_open</c> on the Wasm filter's plugin config.</summary>
    public static IstioVersion FailOpen { get; } = new(1, 9);

    /// <summary><c>failure_policy: FAIL_RELOAD</c> (Envoy) / <c>FAIL_RELOAD</c> (WasmPlugin), istio/api#3471.</summary>
    public static IstioVersion FailReload { get; } = new(1, 27);

    /// <summary><c>extensions.istio.io/v1alpha1 WasmPlugin</c>.</summary>
    public static IstioVersion WasmPlugin { get; } = new(1, 12);

    private static readonly (IstioVersion From, string[] Abis)[] AbiRows =
    [
        (new(1, 5), ["v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f", "0.1.0"]),
        (new(1, 7), ["v0-4689a30309abf31aee9ae36e73d34b1bb182685f", "0.1.0", "0.2.0"]),
        (new(1, 9), ["v0-4689a30309abf31aee9ae36e73d34b1bb182685f", "0.1.0", "0.2.0", "0.2.1"]),
    ];

    /// <summary>ABI versions the proxies of this Istio release implement (names as images declare them, without a leading <c>v</c> for semver names).</summary>
    public static IReadOnlyList<string> SupportedAbis(IstioVersion version)
    {
        string[] result = [];
        foreach (var (from, abis) in AbiRows)
        {
            if (version >= from)
            {
                result = abis;
            }
        }

        return result;
    }

    /// <summary>True when at least one of the image's ABI versions runs on this Istio release.</summary>
    public static bool SupportsAny(IstioVersion version, IEnumerable<string> imageAbis)
    {
        var supported = SupportedAbis(version);
        return imageAbis.Any(abi => supported.Contains(Normalize(abi), StringComparer.OrdinalIgnoreCase));
    }

    // Images write "v0.2.1", "0.2.1" or "proxy_abi_version_0_2_1"; the legacy commit names start with "v0-".
    private static string Normalize(string abi)
    {
        var text = abi.Trim();
        if (text.StartsWith("proxy_abi_version_", StringComparison.OrdinalIgnoreCase))
        {
            return text["proxy_abi_version_".Length..].Replace('_', '.');
        }

        return text.StartsWith("v0-", StringComparison.OrdinalIgnoreCase) ? text : text.TrimStart('v', 'V');
    }
}
