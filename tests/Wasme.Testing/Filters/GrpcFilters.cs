using System.Text;

namespace Wasme.Testing.Filters;

/// <summary>
/// WAT filters that make gRPC calls the way the SDKs do (Rust's <c>dispatch_grpc_call</c> and <c>open_grpc_stream</c>,
/// C++'s <c>GrpcCallHandler</c>/<c>GrpcStreamHandler</c>): the request is paused, the call is opened from the stream's
/// context with the method named by the request's <c>x-method</c> header, and what comes back is written into a local
/// reply body as <c>I:x-served-by;content-type;</c>, <c>M:message;</c>, <c>T:x-trailer;</c> and
/// <c>C:status-message;</c> (the code goes to gauge <c>close_status</c>). The call's own result is gauge
/// <c>call_status</c>; a call that is not opened lets the request through.
/// </summary>
public static class GrpcFilters
{
    public const string Imports = Wat.EnvImports + """

        (import "env" "proxy_grpc_stream" (func $proxy_grpc_stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_grpc_send" (func $proxy_grpc_send (param i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_grpc_cancel" (func $proxy_grpc_cancel (param i32) (result i32)))
        (import "env" "proxy_grpc_close" (func $proxy_grpc_close (param i32) (result i32)))
        (import "env" "proxy_get_status" (func $proxy_get_status (param i32 i32 i32) (result i32)))
        """;

    public enum Mode
    {
        /// <summary>A unary call; replies on <c>proxy_on_grpc_receive</c> or <c>proxy_on_grpc_close</c>.</summary>
        Unary,

        /// <summary>
        /// A unary call left open while the request goes on upstream; a later request with an <c>x-cancel</c> header
        /// cancels it (gauge <c>cancel_status</c>).
        /// </summary>
        CancelledUnary,

        /// <summary>A stream sent "one", then "two" with end of stream; replies on close.</summary>
        Stream,

        /// <summary>A stream sent "one" and left open as <see cref="CancelledUnary"/> is, and cancelled the same way.</summary>
        CancelledStream,
    }

    /// <summary>A filter calling service <paramref name="service"/> on <paramref name="upstream"/> (a cluster name or a serialized GrpcService).</summary>
    public static string Module(Mode mode, byte[] upstream, string service = "test.Echo", int timeoutMilliseconds = 5000, IReadOnlyList<(string Key, string Value)>? metadata = null)
    {
        var wat = new Wat();
        var target = wat.Str(Encoding.Latin1.GetString(upstream));
        var serializedMetadata = wat.Str(Encoding.Latin1.GetString(Pairs(metadata ?? [("x-token", "secret")])));
        var method = "(i32.load (i32.const 8)) (i32.load (i32.const 12))";
        var open = mode is Mode.Unary or Mode.CancelledUnary
            ? $"(call $proxy_grpc_call {target} {wat.Str(service)} {method} {serializedMetadata} {wat.Str("hello")} (i32.const {timeoutMilliseconds}) (i32.const 16))"
            : $"(call $proxy_grpc_stream {target} {wat.Str(service)} {method} {serializedMetadata} (i32.const 16))";
        var afterOpen = mode switch
        {
            Mode.Stream => $"""
                (drop (call $proxy_grpc_send (i32.load (i32.const 16)) {wat.Str("one")} (i32.const 0)))
                (drop (call $proxy_grpc_send (i32.load (i32.const 16)) {wat.Str("two")} (i32.const 1)))
                """,
            Mode.CancelledStream => $"""
                (drop (call $proxy_grpc_send (i32.load (i32.const 16)) {wat.Str("one")} (i32.const 0)))
                (return (i32.const 0))
                """,
            Mode.CancelledUnary => "(return (i32.const 0))",
            _ => string.Empty,
        };
        var replyOnMessage = mode == Mode.Unary ? "(call $reply)" : string.Empty;
        return wat.Module($$"""
            (global $stream (mut i32) (i32.const 0))
            (global $cursor (mut i32) (i32.const 32768))
            (func $append (param $p i32) (param $n i32)
              (memory.copy (global.get $cursor) (local.get $p) (local.get $n))
              (global.set $cursor (i32.add (global.get $cursor) (local.get $n))))
            (func $appendValue (param $map i32) (param $kp i32) (param $kn i32)
              (if (i32.eqz (call $proxy_get_header_map_value (local.get $map) (local.get $kp) (local.get $kn) (i32.const 0) (i32.const 4)))
                (then (call $append (i32.load (i32.const 0)) (i32.load (i32.const 4))))))
            (func $reply
              (drop (call $proxy_set_effective_context (global.get $stream)))
              (drop (call $proxy_send_local_response (i32.const 200) (i32.const 0) (i32.const 0)
                (i32.const 32768) (i32.sub (global.get $cursor) (i32.const 32768)) (i32.const 0) (i32.const 0) (i32.const -1))))
            (func (export "proxy_on_request_headers") (param $ctx i32) (param i32) (param i32) (result i32)
              (local $status i32)
              (global.set $stream (local.get $ctx))
              (global.set $cursor (i32.const 32768))
              (if (i32.eqz (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-cancel")}} (i32.const 8) (i32.const 12)))
                (then
                  {{wat.Record("cancel_status", "(call $proxy_grpc_cancel (i32.load (i32.const 16)))")}}
                  (return (i32.const 0))))
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-method")}} (i32.const 8) (i32.const 12)))
              (local.set $status {{open}})
              {{wat.Record("call_status", "(local.get $status)")}}
              (if (i32.ne (local.get $status) (i32.const 0)) (then (return (i32.const 0))))
              {{afterOpen}}
              (i32.const 1))
            (func (export "proxy_on_grpc_receive_initial_metadata") (param i32) (param $token i32) (param $count i32)
              {{wat.Record("callbacks", "(i32.const 1)")}}
              (call $append {{wat.Str("I:")}})
              (call $appendValue (i32.const 4) {{wat.Str("x-served-by")}})
              (call $append {{wat.Str(";")}})
              (call $appendValue (i32.const 4) {{wat.Str("content-type")}})
              (call $append {{wat.Str(";")}}))
            (func (export "proxy_on_grpc_receive") (param i32) (param $token i32) (param $size i32)
              {{wat.Record("callbacks", "(i32.const 1)")}}
              (call $append {{wat.Str("M:")}})
              (if (i32.and (i32.gt_u (local.get $size) (i32.const 0))
                    (i32.eqz (call $proxy_get_buffer_bytes (i32.const 5) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4))))
                (then (call $append (i32.load (i32.const 0)) (i32.load (i32.const 4)))))
              (call $append {{wat.Str(";")}})
              {{replyOnMessage}})
            (func (export "proxy_on_grpc_receive_trailing_metadata") (param i32) (param $token i32) (param $count i32)
              {{wat.Record("callbacks", "(i32.const 1)")}}
              (call $append {{wat.Str("T:")}})
              (call $appendValue (i32.const 5) {{wat.Str("x-trailer")}})
              (call $append {{wat.Str(";")}}))
            (func (export "proxy_on_grpc_close") (param i32) (param $token i32) (param $code i32)
              {{wat.Record("callbacks", "(i32.const 1)")}}
              {{wat.Record("close_status", "(local.get $code)")}}
              (call $append {{wat.Str("C:")}})
              (if (i32.eqz (call $proxy_get_status (i32.const 24) (i32.const 0) (i32.const 4)))
                (then (call $append (i32.load (i32.const 0)) (i32.load (i32.const 4)))))
              (call $append {{wat.Str(";")}})
              (call $reply))
            """, Imports);
    }

    /// <summary>A serialized <c>envoy.config.core.v3.GrpcService</c> with <c>envoy_grpc</c> and one initial metadata entry.</summary>
    public static byte[] GrpcService(string cluster, string? authority = null, (string Key, string Value)? initialMetadata = null)
    {
        var envoyGrpc = new List<byte>();
        Field(envoyGrpc, 1, Encoding.UTF8.GetBytes(cluster));
        if (authority is not null)
        {
            Field(envoyGrpc, 2, Encoding.UTF8.GetBytes(authority));
        }

        var service = new List<byte>();
        Field(service, 1, [.. envoyGrpc]);
        if (initialMetadata is { } pair)
        {
            var (key, value) = pair;
            var header = new List<byte>();
            Field(header, 1, Encoding.UTF8.GetBytes(key));
            Field(header, 2, Encoding.UTF8.GetBytes(value));
            Field(service, 5, [.. header]);
        }

        return [.. service];
    }

    /// <summary>Proxy-Wasm's serialized pairs: a count, each name and value length, then each name and value NUL-ended.</summary>
    public static byte[] Pairs(IReadOnlyList<(string Key, string Value)> pairs)
    {
        var result = new List<byte>();
        result.AddRange(BitConverter.GetBytes(pairs.Count));
        foreach (var (key, value) in pairs)
        {
            result.AddRange(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(key)));
            result.AddRange(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(value)));
        }

        foreach (var (key, value) in pairs)
        {
            result.AddRange(Encoding.UTF8.GetBytes(key));
            result.Add(0);
            result.AddRange(Encoding.UTF8.GetBytes(value));
            result.Add(0);
        }

        return [.. result];
    }

    private static void Field(List<byte> target, int number, byte[] value)
    {
        target.Add((byte)((number << 3) | 2));
        var length = (uint)value.Length;
        while (length >= 0x80)
        {
            target.Add((byte)(length | 0x80));
            length >>= 7;
        }

        target.Add((byte)length);
        target.AddRange(value);
    }
}
