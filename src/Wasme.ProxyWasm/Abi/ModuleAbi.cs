using Wasmtime;

namespace Wasme.ProxyWasm.Abi;

/// <summary>What a module's exports say about how to drive it.</summary>
internal sealed record ModuleAbi(AbiVersion Version, int HeadersCallbackArity, IReadOnlySet<string> Exports)
{
    public bool Has(string export) => Exports.Contains(export);

    /// <summary>
    /// Reads the ABI marker and checks every known callback's signature, so that later typed lookups cannot
    /// silently miss a callback the module does export.
    /// </summary>
    /// <exception cref="ProxyWasmException">No known marker, or a callback with the wrong signature.</exception>
    public static ModuleAbi Inspect(Module module, string name, AbiVersion? assumed)
    {
        AbiVersion? version = null;
        var exports = new HashSet<string>(StringComparer.Ordinal);
        var functions = new Dictionary<string, FunctionExport>(StringComparer.Ordinal);
        foreach (var export in module.Exports)
        {
            if (export is not FunctionExport function)
            {
                continue;
            }

            exports.Add(function.Name);
            functions[function.Name] = function;
            version ??= function.Name switch
            {
                "proxy_abi_version_0_1_0" => AbiVersion.V010,
                "proxy_abi_version_0_2_0" => AbiVersion.V020,
                "proxy_abi_version_0_2_1" => AbiVersion.V021,
                _ => null,
            };
        }

        if (version is null)
        {
            if (assumed is null)
            {
                throw new ProxyWasmException(
                    $"Module '{name}' has no known Proxy-Wasm ABI marker (it exports none of proxy_abi_version_0_1_0, " +
                    "proxy_abi_version_0_2_0, proxy_abi_version_0_2_1), so Envoy would refuse it too. Rebuild it with a current " +
                    "Proxy-Wasm SDK, or opt in with ProxyWasmRuntimeOptions.AssumedAbiVersion if you know its ABI.");
            }

            version = assumed;
        }

        var arity = version == AbiVersion.V010 ? 2 : 3;
        foreach (var (export, (expectedParameters, hasResult)) in Callbacks)
        {
            if (!functions.TryGetValue(export, out var function))
            {
                continue;
            }

            var parameters = expectedParameters;
            var actualParameters = function.Parameters.Count;
            var actualResult = function.Results.Count;
            var allI32 = AllI32(function.Parameters) && AllI32(function.Results);
            var isHeaders = export is "proxy_on_request_headers" or "proxy_on_response_headers";
            if (isHeaders && version == AbiVersion.V010)
            {
                // 0.1.0 header callbacks take 2 parameters, but several 0.1.0-marked binaries (old TinyGo,
                // Emscripten C++) already use the 3-parameter 0.2 form: accept both and call what is there.
                if (actualParameters == 3)
                {
                    arity = 3;
                }
                else
                {
                    parameters = 2;
                }
            }

            if (!allI32 || actualParameters != parameters || actualResult != (hasResult ? 1 : 0))
            {
                var expected = Describe(parameters, hasResult);
                var found = $"({string.Join(", ", function.Parameters)}) -> ({string.Join(", ", function.Results)})";
                throw new ProxyWasmException(
                    $"Module '{name}' declares Proxy-Wasm ABI {Format(version.Value)} but its export '{export}' has signature " +
                    $"{found}; that ABI expects {expected}. The module was probably built against a different ABI version or a " +
                    "mismatched SDK.");
            }
        }

        if (!functions.ContainsKey("proxy_on_memory_allocate") && !functions.ContainsKey("malloc"))
        {
            throw new ProxyWasmException(
                $"Module '{name}' exports neither 'proxy_on_memory_allocate' nor 'malloc', so the host cannot return data to it. " +
                "Every Proxy-Wasm SDK exports one of them; check the module was built with an SDK.");
        }

        return new ModuleAbi(version.Value, arity, exports);
    }

    public static string Format(AbiVersion version) => version switch
    {
        AbiVersion.V010 => "0.1.0",
        AbiVersion.V020 => "0.2.0",
        _ => "0.2.1",
    };

    private static bool AllI32(IReadOnlyList<ValueKind> kinds)
    {
        foreach (var kind in kinds)
        {
            if (kind != ValueKind.Int32)
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(int parameters, bool hasResult)
        => $"({string.Join(", ", Enumerable.Repeat("i32", parameters))}) -> ({(hasResult ? "i32" : "")})";

    // All-i32 callbacks: name -> (parameter count, returns a value). The header callbacks are listed with their
    // 0.2 arity; 0.1.0 modules are checked against 2 below.
    private static readonly (string Name, (int Parameters, bool HasResult) Shape)[] Callbacks =
    [
        ("proxy_on_memory_allocate", (1, true)),
        ("malloc", (1, true)),
        ("proxy_on_context_create", (2, false)),
        ("proxy_on_done", (1, true)),
        ("proxy_on_log", (1, false)),
        ("proxy_on_delete", (1, false)),
        ("proxy_on_vm_start", (2, true)),
        ("proxy_on_configure", (2, true)),
        ("proxy_validate_configuration", (2, true)),
        ("proxy_on_tick", (1, false)),
        ("proxy_on_new_connection", (1, true)),
        ("proxy_on_downstream_data", (3, true)),
        ("proxy_on_upstream_data", (3, true)),
        ("proxy_on_downstream_connection_close", (2, false)),
        ("proxy_on_upstream_connection_close", (2, false)),
        ("proxy_on_request_headers", (3, true)),
        ("proxy_on_response_headers", (3, true)),
        ("proxy_on_request_body", (3, true)),
        ("proxy_on_response_body", (3, true)),
        ("proxy_on_request_trailers", (2, true)),
        ("proxy_on_response_trailers", (2, true)),
        ("proxy_on_http_call_response", (5, false)),
        ("proxy_on_queue_ready", (2, false)),
        ("proxy_on_foreign_function", (3, false)),
    ];
}
