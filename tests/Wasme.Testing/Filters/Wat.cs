using System.Text;

namespace Wasme.Testing.Filters;

/// <summary>
/// Writes small Proxy-Wasm guests in WebAssembly text: the import set an SDK declares, a memory, a bump allocator
/// (reset when a stream is deleted, as SDK allocators free per stream), the ABI marker, string data, and helpers that
/// record a host call's status in a gauge so a test can read what the guest saw.
/// </summary>
public sealed class Wat
{
    public const string EnvImports = """
        (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
        (import "env" "proxy_get_log_level" (func $proxy_get_log_level (param i32) (result i32)))
        (import "env" "proxy_get_buffer_bytes" (func $proxy_get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_get_buffer_status" (func $proxy_get_buffer_status (param i32 i32 i32) (result i32)))
        (import "env" "proxy_set_buffer_bytes" (func $proxy_set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_replace_header_map_value" (func $proxy_replace_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_remove_header_map_value" (func $proxy_remove_header_map_value (param i32 i32 i32) (result i32)))
        (import "env" "proxy_get_header_map_pairs" (func $proxy_get_header_map_pairs (param i32 i32 i32) (result i32)))
        (import "env" "proxy_set_header_map_pairs" (func $proxy_set_header_map_pairs (param i32 i32 i32) (result i32)))
        (import "env" "proxy_get_header_map_size" (func $proxy_get_header_map_size (param i32 i32) (result i32)))
        (import "env" "proxy_get_property" (func $proxy_get_property (param i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_set_property" (func $proxy_set_property (param i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_continue_stream" (func $proxy_continue_stream (param i32) (result i32)))
        (import "env" "proxy_close_stream" (func $proxy_close_stream (param i32) (result i32)))
        (import "env" "proxy_set_effective_context" (func $proxy_set_effective_context (param i32) (result i32)))
        (import "env" "proxy_done" (func $proxy_done (result i32)))
        (import "env" "proxy_http_call" (func $proxy_http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_grpc_call" (func $proxy_grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_set_tick_period_milliseconds" (func $proxy_set_tick_period_milliseconds (param i32) (result i32)))
        (import "env" "proxy_get_current_time_nanoseconds" (func $proxy_get_current_time_nanoseconds (param i32) (result i32)))
        (import "env" "proxy_get_shared_data" (func $proxy_get_shared_data (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_set_shared_data" (func $proxy_set_shared_data (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_register_shared_queue" (func $proxy_register_shared_queue (param i32 i32 i32) (result i32)))
        (import "env" "proxy_resolve_shared_queue" (func $proxy_resolve_shared_queue (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_enqueue_shared_queue" (func $proxy_enqueue_shared_queue (param i32 i32 i32) (result i32)))
        (import "env" "proxy_dequeue_shared_queue" (func $proxy_dequeue_shared_queue (param i32 i32 i32) (result i32)))
        (import "env" "proxy_define_metric" (func $proxy_define_metric (param i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_increment_metric" (func $proxy_increment_metric (param i32 i64) (result i32)))
        (import "env" "proxy_record_metric" (func $proxy_record_metric (param i32 i64) (result i32)))
        (import "env" "proxy_get_metric" (func $proxy_get_metric (param i32 i32) (result i32)))
        (import "env" "proxy_call_foreign_function" (func $proxy_call_foreign_function (param i32 i32 i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
        (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
        """;

    // Scratch return slots live at 0..255, string data from 1024, the heap from 64 KiB.
    private const int DataStart = 1024;
    private const int HeapStart = 65536;
    private readonly StringBuilder _data = new();
    private readonly Dictionary<string, (int Pointer, int Length)> _strings = [];
    private int _next = DataStart;

    public string Abi { get; init; } = "0_2_1";

    /// <summary>Places a string in the data section once and returns <c>(i32.const ptr) (i32.const len)</c>.</summary>
    public string Str(string value)
    {
        var (pointer, length) = Place(value);
        return $"(i32.const {pointer}) (i32.const {length})";
    }

    public (int Pointer, int Length) Place(string value)
    {
        if (_strings.TryGetValue(value, out var placed))
        {
            return placed;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        placed = (_next, bytes.Length);
        var escaped = new StringBuilder();
        foreach (var b in bytes)
        {
            escaped.Append('\\').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        _data.Append(System.Globalization.CultureInfo.InvariantCulture, $"(data (i32.const {_next}) \"{escaped}\")\n");
        _next += bytes.Length + 8 - (bytes.Length % 8);
        _strings[value] = placed;
        return placed;
    }

    /// <summary>Records the i32 result of <paramref name="expression"/> in gauge <paramref name="gauge"/>.</summary>
    public string Record(string gauge, string expression)
        => $"(drop (call $proxy_define_metric (i32.const 1) {Str(gauge)} (i32.const 240))) " +
           $"(drop (call $proxy_record_metric (i32.load (i32.const 240)) (i64.extend_i32_u {expression})))";

    /// <summary>
    /// A stream callback (<c>proxy_on_request_headers</c>, <c>proxy_on_request_body</c>, ...) that makes
    /// <paramref name="call"/> <paramref name="times"/> times, counts the OK answers in counter <paramref name="counter"/>
    /// and records the last status in gauge <c>last_status</c>: how a test sees where a host bound starts refusing.
    /// </summary>
    public string CallbackRepeating(string callback, int times, string call, string counter) => $$"""
        (func (export "{{callback}}") (param i32 i32 i32) (result i32)
          (local $left i32)
          (local $status i32)
          (local.set $left (i32.const {{times}}))
          (loop $repeat
            (local.set $status {{call}})
            (if (i32.eqz (local.get $status))
              (then
                (drop (call $proxy_define_metric (i32.const 0) {{Str(counter)}} (i32.const 240)))
                (drop (call $proxy_increment_metric (i32.load (i32.const 240)) (i64.const 1)))))
            (br_if $repeat (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
          {{Record("last_status", "(local.get $status)")}}
          (i32.const 0))
        """;

    public string Log(string message, int level = 2) => $"(drop (call $proxy_log (i32.const {level}) {Str(message)}))";

    /// <summary>Adds a header to <paramref name="map"/> whose value is the (ptr, len) the host returned in slots 0 and 4.</summary>
    public string AddReturnedAsHeader(int map, string key)
        => $"(drop (call $proxy_add_header_map_value (i32.const {map}) {Str(key)} (i32.load (i32.const 0)) (i32.load (i32.const 4))))";

    /// <summary>A complete module: imports, memory, allocator, marker, data and <paramref name="body"/>.</summary>
    public string Module(string body, string? imports = null, bool allocator = true) => $"""
        (module
          {imports ?? EnvImports}
          (memory (export "memory") 2)
          (global $heap (mut i32) (i32.const {HeapStart}))
          (global $heap_base (mut i32) (i32.const {HeapStart}))
          {(allocator ? Allocator : "")}
          (func (export "proxy_abi_version_{Abi}"))
          {_data}
          {body}
        )
        """;

    public const string Allocator = """
        (func $alloc (export "proxy_on_memory_allocate") (param $size i32) (result i32)
          (local $ptr i32)
          (local $end i32)
          (local.set $ptr (global.get $heap))
          (local.set $end (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7)) (i32.const -8)))
          (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
            (then
              (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
                (then (return (i32.const 0))))))
          (global.set $heap (local.get $end))
          (local.get $ptr))
        (func (export "proxy_on_delete") (param i32) (global.set $heap (global.get $heap_base)))
        """;
}
