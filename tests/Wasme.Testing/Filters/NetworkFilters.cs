namespace Wasme.Testing.Filters;

/// <summary>
/// A network (TCP) filter written after the C++ SDK's network example: it reads DOWNSTREAM_DATA/UPSTREAM_DATA with
/// proxy_get_buffer_bytes, rewrites them with proxy_set_buffer_bytes, pauses a direction until it has what it needs,
/// and closes the connection with proxy_close_stream. Client lines reach the upstream prefixed with "> " once complete;
/// the upstream's answer reaches the client, held until the upstream ends, followed by "!"; a client whose first byte is
/// 'd' is cut off. Gauges <c>downstream_close_peer</c> and <c>upstream_close_peer</c> (+10) record the close callbacks'
/// peer types; counter <c>connections_logged</c> counts proxy_on_log.
/// </summary>
public static class NetworkFilters
{
    /// <summary>The module's text; compile it with <c>Wasmtime.Module.ConvertText</c>.</summary>
    public static string LineFilter()
    {
        var wat = new Wat();
        return wat.Module($$"""
            (func (export "proxy_on_new_connection") (param i32) (result i32)
              {{wat.Log("new connection")}}
              (i32.const 0))
            (func (export "proxy_on_downstream_data") (param $context i32) (param $size i32) (param $end i32) (result i32)
              (local $data i32)
              (if (i32.eqz (local.get $size)) (then (return (i32.const 0))))
              (drop (call $proxy_get_buffer_bytes (i32.const 2) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
              (local.set $data (i32.load (i32.const 0)))
              ;; a client that starts with 'd' (deny) is cut off
              (if (i32.eq (i32.load8_u (local.get $data)) (i32.const 100))
                (then
                  (drop (call $proxy_close_stream (i32.const 2)))
                  (return (i32.const 1))))
              ;; hold the bytes until a whole line (or the client's end) is there
              (if (i32.and (i32.eqz (local.get $end))
                           (i32.ne (i32.load8_u (i32.add (local.get $data) (i32.sub (local.get $size) (i32.const 1)))) (i32.const 10)))
                (then (return (i32.const 1))))
              (drop (call $proxy_set_buffer_bytes (i32.const 2) (i32.const 0) (i32.const 0) {{wat.Str("> ")}}))
              (i32.const 0))
            (func (export "proxy_on_upstream_data") (param $context i32) (param $size i32) (param $end i32) (result i32)
              ;; hold the whole answer until the upstream ends, then mark its end
              (if (i32.eqz (local.get $end)) (then (return (i32.const 1))))
              (drop (call $proxy_set_buffer_bytes (i32.const 3) (local.get $size) (i32.const 0) {{wat.Str("!")}}))
              (i32.const 0))
            (func (export "proxy_on_downstream_connection_close") (param i32) (param $peer i32)
              {{wat.Record("downstream_close_peer", "(local.get $peer)")}})
            (func (export "proxy_on_upstream_connection_close") (param i32) (param $peer i32)
              {{wat.Record("upstream_close_peer", "(i32.add (local.get $peer) (i32.const 10))")}})
            (func (export "proxy_on_log") (param i32)
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("connections_logged")}} (i32.const 244)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 244)) (i64.const 1))))
            """);
    }
}
