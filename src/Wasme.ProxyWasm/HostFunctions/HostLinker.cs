using Wasme.ProxyWasm.Binding;
using Wasme.ProxyWasm.Vm;
using Wasmtime;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>
/// Builds the linker for one module: every Proxy-Wasm host function of ABI 0.1.0, 0.2.0 and 0.2.1 under <c>env</c>
/// (SDKs import functions they never call), WASI under both <c>wasi_snapshot_preview1</c> and <c>wasi_unstable</c>,
/// and the Emscripten helpers. Per module, because AssemblyScript's proxy-runtime declares the gRPC calls with fewer
/// parameters than the spec (see <see cref="GrpcFunctions"/>), and unknown WASI imports are answered with an errno that fits their signature.
/// </summary>
internal static class HostLinker
{
    private static readonly string[] WasiModules = ["wasi_snapshot_preview1", "wasi_unstable"];

    public static NativeLinker Build(Engine engine, Module module, string name)
    {
        var linker = new NativeLinker(engine);
        try
        {
            var defined = new HashSet<(string, string)>();
            DefineEnv(linker, module, defined);
            foreach (var wasi in WasiModules)
            {
                DefineWasi(linker, wasi, defined);
            }

            DefineMissing(linker, module, defined, name);
            return linker;
        }
        catch
        {
            linker.Dispose();
            throw;
        }
    }

    private static void DefineEnv(NativeLinker linker, Module module, HashSet<(string, string)> defined)
    {
        void Define(string function, Action<NativeLinker, string> define)
        {
            define(linker, function);
            defined.Add(("env", function));
        }

        Define("proxy_log", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(CoreFunctions.ProxyLog)));
        Define("proxy_get_log_level", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int>(CoreFunctions.ProxyGetLogLevel)));
        Define("proxy_get_current_time_nanoseconds", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int>(CoreFunctions.ProxyGetCurrentTimeNanoseconds)));
        Define("proxy_set_tick_period_milliseconds", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int>(CoreFunctions.ProxySetTickPeriodMilliseconds)));
        Define("proxy_set_effective_context", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int>(CoreFunctions.ProxySetEffectiveContext)));
        Define("proxy_done", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm>(CoreFunctions.ProxyDone)));
        Define("proxy_continue_stream", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int>(CoreFunctions.ProxyContinueStream)));
        Define("proxy_close_stream", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int>(CoreFunctions.ProxyCloseStream)));
        Define("proxy_continue_request", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm>(CoreFunctions.ProxyContinueRequest)));
        Define("proxy_continue_response", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm>(CoreFunctions.ProxyContinueResponse)));
        Define("proxy_clear_route_cache", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm>(CoreFunctions.ProxyClearRouteCache)));
        Define("proxy_get_status", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(CoreFunctions.ProxyGetStatus)));
        Define("proxy_send_local_response", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int, int, int, int>(CoreFunctions.ProxySendLocalResponse)));

        Define("proxy_get_buffer_bytes", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(BufferFunctions.ProxyGetBufferBytes)));
        Define("proxy_get_buffer_status", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(BufferFunctions.ProxyGetBufferStatus)));
        Define("proxy_set_buffer_bytes", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(BufferFunctions.ProxySetBufferBytes)));
        Define("proxy_get_configuration", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int>(BufferFunctions.ProxyGetConfiguration)));

        Define("proxy_get_header_map_size", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int>(MapFunctions.ProxyGetHeaderMapSize)));
        Define("proxy_get_header_map_pairs", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(MapFunctions.ProxyGetHeaderMapPairs)));
        Define("proxy_set_header_map_pairs", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(MapFunctions.ProxySetHeaderMapPairs)));
        Define("proxy_get_header_map_value", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(MapFunctions.ProxyGetHeaderMapValue)));
        Define("proxy_add_header_map_value", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(MapFunctions.ProxyAddHeaderMapValue)));
        Define("proxy_replace_header_map_value", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(MapFunctions.ProxyReplaceHeaderMapValue)));
        Define("proxy_remove_header_map_value", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(MapFunctions.ProxyRemoveHeaderMapValue)));

        Define("proxy_get_property", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int>(PropertyFunctions.ProxyGetProperty)));
        Define("proxy_set_property", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int>(PropertyFunctions.ProxySetProperty)));

        Define("proxy_http_call", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int, int, int, int, int, int>(CallFunctions.ProxyHttpCall)));
        GrpcFunctions.Define(linker, module, defined);

        Define("proxy_get_shared_data", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(SharedFunctions.ProxyGetSharedData)));
        Define("proxy_set_shared_data", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(SharedFunctions.ProxySetSharedData)));
        Define("proxy_register_shared_queue", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(SharedFunctions.ProxyRegisterSharedQueue)));
        Define("proxy_resolve_shared_queue", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int>(SharedFunctions.ProxyResolveSharedQueue)));
        Define("proxy_enqueue_shared_queue", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(SharedFunctions.ProxyEnqueueSharedQueue)));
        Define("proxy_dequeue_shared_queue", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int>(SharedFunctions.ProxyDequeueSharedQueue)));
        Define("proxy_define_metric", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int>(SharedFunctions.ProxyDefineMetric)));
        Define("proxy_increment_metric", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, long>(SharedFunctions.ProxyIncrementMetric)));
        Define("proxy_record_metric", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, long>(SharedFunctions.ProxyRecordMetric)));
        Define("proxy_get_metric", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int>(SharedFunctions.ProxyGetMetric)));
        Define("proxy_call_foreign_function", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int, int, int, int, int>(SharedFunctions.ProxyCallForeignFunction)));

        Define("emscripten_notify_memory_growth", static (l, n) => l.Define("env", n, new HostAction<ProxyWasmVm, int>(static (_, _) => { })));
        Define("pthread_equal", static (l, n) => l.Define("env", n, new HostFunction<ProxyWasmVm, int, int>(static (_, a, b) => CoreFunctions.PthreadEqual(a, b))));
    }

    private static void DefineWasi(NativeLinker linker, string wasi, HashSet<(string, string)> defined)
    {
        void Define(string function, Action<NativeLinker, string, string> define)
        {
            define(linker, wasi, function);
            defined.Add((wasi, function));
        }

        Define("fd_write", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int, int, int>(WasiFunctions.FdWrite)));
        Define("fd_read", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int, int, int>(WasiFunctions.FdRead)));
        Define("fd_close", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int>(WasiFunctions.FdClose)));
        Define("fd_seek", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, long, int, int>(WasiFunctions.FdSeek)));
        Define("fd_fdstat_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.FdFdstatGet)));
        Define("fd_fdstat_set_flags", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.FdFdstatSetFlags)));
        Define("fd_prestat_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.FdPrestatGet)));
        Define("fd_prestat_dir_name", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int, int>(WasiFunctions.FdPrestatDirName)));
        Define("path_open", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int, int, int, int, long, long, int, int>(WasiFunctions.PathOpen)));
        Define("clock_time_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, long, int>(WasiFunctions.ClockTimeGet)));
        Define("clock_res_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.ClockResGet)));
        Define("random_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.RandomGet)));
        Define("environ_sizes_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.EnvironSizesGet)));
        Define("environ_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.EnvironGet)));
        Define("args_sizes_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.ArgsSizesGet)));
        Define("args_get", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int>(WasiFunctions.ArgsGet)));
        Define("proc_exit", static (l, m, n) => l.Define(m, n, new HostAction<ProxyWasmVm, int>(WasiFunctions.ProcExit)));
        Define("sched_yield", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm>(WasiFunctions.SchedYield)));
        Define("poll_oneoff", static (l, m, n) => l.Define(m, n, new HostFunction<ProxyWasmVm, int, int, int, int>(WasiFunctions.PollOneoff)));
    }

    /// <summary>
    /// Other WASI imports get an errno (no files, no sockets). An unknown <c>env</c> import is refused up front with its
    /// name, rather than failing later inside the guest.
    /// </summary>
    private static void DefineMissing(NativeLinker linker, Module module, HashSet<(string, string)> defined, string name)
    {
        List<string>? unknown = null;
        foreach (var import in module.Imports)
        {
            if (import is not FunctionImport function || defined.Contains((function.ModuleName, function.Name)))
            {
                continue;
            }

            if (Array.IndexOf(WasiModules, function.ModuleName) >= 0 && function.Results.Count <= 1)
            {
                // An i32 result is the errno; any other result is zero.
                long result = function.Results.Count == 1 && function.Results[0] == ValueKind.Int32 ? WasiFunctions.FallbackErrno(function.Name) : 0;
                linker.Define(
                    function.ModuleName,
                    function.Name,
                    new RawHostFunction<ProxyWasmVm>(ValueTypes(function.Parameters), ValueTypes(function.Results), (_, _) => result));
                defined.Add((function.ModuleName, function.Name));
                continue;
            }

            (unknown ??= []).Add($"{function.ModuleName}.{function.Name}");
        }

        if (unknown is not null)
        {
            throw new ProxyWasmException(
                $"Module '{name}' imports functions this Proxy-Wasm host does not provide: {string.Join(", ", unknown)}. " +
                "It was probably built for another host API (for example a pre-release ABI or http-wasm).");
        }
    }

    // Every value type a WASI import can have in a module this host instantiates (no SIMD, no references).
    private static Binding.ValueType[] ValueTypes(IReadOnlyList<ValueKind> kinds)
    {
        var types = new Binding.ValueType[kinds.Count];
        for (var i = 0; i < kinds.Count; i++)
        {
            types[i] = kinds[i] switch
            {
                ValueKind.Int32 => Binding.ValueType.I32,
                ValueKind.Int64 => Binding.ValueType.I64,
                ValueKind.Float32 => Binding.ValueType.F32,
                ValueKind.Float64 => Binding.ValueType.F64,
                var other => throw new ProxyWasmException($"The module imports a WASI function with a {other} value, which this host does not pass."),
            };
        }

        return types;
    }
}
