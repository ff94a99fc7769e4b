using Wasme.Oci;
using Wasme.Oci.Wasm;

namespace Wasme.Build.Validation;

/// <summary>
/// Decides whether a module can be shipped as a filter image: it must be a Wasm module, export a
/// Proxy-Wasm ABI marker that agrees with the runtime config, and declare at least one root id (the empty one included).
/// Pure: bytes and config in, verdict out.
/// </summary>
public static class ModuleValidator
{
    /// <param name="module">The module bytes; kept referenced by the result.</param>
    /// <param name="config">The project's runtime config.</param>
    /// <param name="source">What the bytes are, for messages (a file path).</param>
    /// <exception cref="ModuleValidationException">The module is not usable; every problem is listed.</exception>
    public static ValidatedModule Validate(ReadOnlyMemory<byte> module, RuntimeConfig config, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!WasmModule.HasWasmMagic(module.Span))
        {
            throw new ModuleValidationException(source, [
                "it is not a WebAssembly module (it does not start with the bytes \\0asm); pass the .wasm file the compiler wrote",
            ]);
        }

        WasmModule parsed;
        try
        {
            parsed = WasmModule.Parse(module);
        }
        catch (WasmFormatException ex)
        {
            throw new ModuleValidationException(source, [ex.Message + "; the file is truncated or corrupt, rebuild it"]);
        }

        var problems = new List<string>();
        var abiVersions = ProxyWasmAbi.DetectVersions(parsed);
        var effectiveConfig = config;
        if (abiVersions.Count == 0)
        {
            problems.Add(
                "it exports no Proxy-Wasm ABI marker (a function named proxy_abi_version_0_1_0, _0_2_0 or _0_2_1); " +
                "build it with a Proxy-Wasm SDK, which adds the marker");
        }
        else
        {
            problems.AddRange(CheckAbiVersions(config, abiVersions, out var declared));
            if (!declared)
            {
                effectiveConfig = config with { AbiVersions = [.. abiVersions.Select(ProxyWasmAbi.Name)] };
            }
        }

        if (config.RootIds.Count == 0)
        {
            problems.Add("the runtime config lists no root ids; add the id the filter registers, e.g. \"config\": {\"rootIds\": [\"add_header\"]}");
        }

        // Root ids are what the host hands the root context; the empty one is the C++ SDK's default and Envoy
        // accepts it. A name usually sits in the module's data, but SDKs may build it at run time or compress
        // it, so a name not found there is only worth a warning.
        var warnings = new List<string>();
        foreach (var rootId in config.RootIds)
        {
            if (rootId.Length > 0 && !parsed.DataContainsString(rootId))
            {
                warnings.Add(
                    $"root id '{rootId}' does not appear in the module's data; check that the filter registers it " +
                    "(or that runtime-config.json is up to date)");
            }
        }

        return problems.Count > 0
            ? throw new ModuleValidationException(source, problems)
            : new ValidatedModule(parsed, abiVersions, effectiveConfig) { Warnings = warnings };
    }

    private static IEnumerable<string> CheckAbiVersions(RuntimeConfig config, IReadOnlyList<ProxyWasmAbiVersion> exported, out bool declared)
    {
        declared = config.AbiVersions.Count > 0;
        var known = new List<ProxyWasmAbiVersion>();
        foreach (var name in config.AbiVersions)
        {
            // Names such as the original's "v0-4689a303..." are host-specific; they are recorded, not checked.
            if (ProxyWasmAbi.TryParse(name, out var version))
            {
                known.Add(version.Value);
            }
        }

        if (known.Count > 0 && !known.Any(exported.Contains))
        {
            var actual = string.Join(", ", exported.Select(ProxyWasmAbi.ExportName));
            var suggestion = string.Join(", ", exported.Select(v => $"\"{ProxyWasmAbi.Name(v)}\""));
            return [$"the runtime config declares abiVersions [{string.Join(", ", config.AbiVersions)}] but the module exports {actual}; set \"abiVersions\": [{suggestion}]"];
        }

        return [];
    }
}
