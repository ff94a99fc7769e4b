using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>Every pointer and size a guest passes is untrusted: bad ones get an error status, never a crash.</summary>
public sealed class MalformedArgumentTests : IDisposable
{
    private const int InvalidMemoryAccess = 6;
    private const int BadArgument = 2;
    private readonly HostHarness _host = new();

    [Fact]
    public void Out_of_bounds_pointers_and_sizes_return_errors_and_the_vm_keeps_working()
    {
        var wat = new Wat();
        var checks = new (string Name, string Call, long Expected)[]
        {
            ("log_oob", "(call $proxy_log (i32.const 2) (i32.const -16) (i32.const 100))", InvalidMemoryAccess),
            ("log_huge_size", "(call $proxy_log (i32.const 2) (i32.const 16) (i32.const -1))", InvalidMemoryAccess),
            ("log_bad_level", $"(call $proxy_log (i32.const 99) {wat.Str("x")})", BadArgument),
            ("get_value_key_oob", "(call $proxy_get_header_map_value (i32.const 0) (i32.const 131000) (i32.const 4096) (i32.const 0) (i32.const 4))", InvalidMemoryAccess),
            ("get_value_return_oob", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const -4) (i32.const 4))", InvalidMemoryAccess),
            ("add_value_oob", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("k")} (i32.const 131070) (i32.const 10))", InvalidMemoryAccess),
            ("pairs_return_oob", "(call $proxy_get_header_map_pairs (i32.const 0) (i32.const 131072) (i32.const 4))", InvalidMemoryAccess),
            ("set_pairs_garbage", $"(call $proxy_set_header_map_pairs (i32.const 0) {wat.Str("\u00ff\u00ff\u00ff\u007fjunk")})", BadArgument),
            ("set_pairs_oob", "(call $proxy_set_header_map_pairs (i32.const 0) (i32.const 100000) (i32.const 100000))", InvalidMemoryAccess),
            ("buffer_range_overflow", "(call $proxy_get_buffer_bytes (i32.const 7) (i32.const -1) (i32.const 2) (i32.const 0) (i32.const 4))", BadArgument),
            ("property_path_oob", "(call $proxy_get_property (i32.const -1) (i32.const 2) (i32.const 0) (i32.const 4))", InvalidMemoryAccess),
            ("local_reply_bad_headers", $"(call $proxy_send_local_response (i32.const 403) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) {wat.Str("\u0009\u0000\u0000\u0000")} (i32.const -1))", BadArgument),
            ("local_reply_body_oob", "(call $proxy_send_local_response (i32.const 403) (i32.const 0) (i32.const 0) (i32.const 131000) (i32.const 9999) (i32.const 0) (i32.const 0) (i32.const -1))", InvalidMemoryAccess),
            ("shared_data_cas_oob", $"(call $proxy_get_shared_data {wat.Str("k")} (i32.const 0) (i32.const 4) (i32.const 131071))", InvalidMemoryAccess),
            ("metric_return_oob", $"(call $proxy_define_metric (i32.const 0) {wat.Str("m")} (i32.const -1))", InvalidMemoryAccess),
            ("metric_bad_type", $"(call $proxy_define_metric (i32.const 7) {wat.Str("m")} (i32.const 0))", BadArgument),
            ("effective_context_unknown", "(call $proxy_set_effective_context (i32.const 12345))", BadArgument),
            ("continue_bad_stream", "(call $proxy_continue_stream (i32.const 17))", BadArgument),
            ("fd_write_iovec_oob", "(call $fd_write (i32.const 1) (i32.const 131068) (i32.const 2) (i32.const 0))", 21),
            ("random_too_large", "(call $random_get (i32.const 0) (i32.const 100000))", 28),
        };
        var body = string.Concat(checks.Select(c => wat.Record(c.Name, c.Call)));
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{body}}
              ;; Still alive afterwards: a normal call works.
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-alive")}} {{wat.Str("yes")}}))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var headers = HostHarness.RequestHeaders();
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);

        Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(headers, endOfStream: true));

        Assert.All(checks, c => Assert.True(c.Expected == _host.Gauge(c.Name), $"{c.Name}: expected status {c.Expected}, got {_host.Gauge(c.Name)}"));
        Assert.Equal(["yes"], headers.GetValues("x-alive"));
        Assert.Empty(host.LocalResponses);
        Assert.False(plugin.IsFailed);
    }

    [Fact]
    public void Header_names_and_values_with_cr_lf_or_nul_are_refused_and_nothing_is_changed_or_sent()
    {
        var wat = new Wat();
        // One pair for proxy_set_header_map_pairs: count, then name and value sizes, then "a\0" "b\r\nc\0".
        var injectingPairs = "\u0001\0\0\0\u0001\0\0\0\u0004\0\0\0a\0b\r\nc\0";
        var checks = new (string Name, string Call)[]
        {
            ("add_value_crlf", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-ok")} {wat.Str("v\r\nx-injected: 1")})"),
            ("add_value_lf", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-ok")} {wat.Str("v\nx-injected: 1")})"),
            ("add_name_nul", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-\0bad")} {wat.Str("v")})"),
            ("add_name_empty", $"(call $proxy_add_header_map_value (i32.const 0) (i32.const 0) (i32.const 0) {wat.Str("v")})"),
            ("replace_value_cr", $"(call $proxy_replace_header_map_value (i32.const 0) {wat.Str(":path")} {wat.Str("/\rx")})"),
            ("set_pairs_crlf", $"(call $proxy_set_header_map_pairs (i32.const 0) {wat.Str(injectingPairs)})"),
            ("local_reply_crlf", $"(call $proxy_send_local_response (i32.const 403) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) {wat.Str(injectingPairs)} (i32.const -1))"),
        };
        var body = string.Concat(checks.Select(c => wat.Record(c.Name, c.Call)));
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{body}}
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-alive")}} {{wat.Str("yes")}}))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var headers = HostHarness.RequestHeaders();
        var before = headers.ToList();
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);

        Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(headers, endOfStream: true));

        Assert.All(checks, c => Assert.True(_host.Gauge(c.Name) == BadArgument, $"{c.Name}: expected BAD_ARGUMENT, got {_host.Gauge(c.Name)}"));
        Assert.Equal([.. before, new("x-alive", "yes")], headers.ToList());
        Assert.Empty(host.LocalResponses);
        Assert.False(plugin.IsFailed);
    }

    [Fact]
    public void A_header_refused_or_lower_cased_once_is_refused_or_lower_cased_on_every_stream()
    {
        // The VM keeps the strings a filter writes: the second stream's are the first's, and must be checked the same.
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("add_value_crlf", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-ok")} {wat.Str("v\r\nx-injected: 1")})")}}
              {{wat.Record("add_name_nul", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-\0bad")} {wat.Str("v")})")}}
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("X-Mixed-Case")}} {{wat.Str("Value")}}))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);

        for (var i = 0; i < 2; i++)
        {
            var headers = HostHarness.RequestHeaders();
            var before = headers.ToList();
            using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

            stream.OnRequestHeaders(headers, endOfStream: true);

            Assert.Equal(BadArgument, _host.Gauge("add_value_crlf"));
            Assert.Equal(BadArgument, _host.Gauge("add_name_nul"));
            Assert.Equal([.. before, new("x-mixed-case", "Value")], headers.ToList());
        }
    }

    [Fact]
    public void An_allocator_that_returns_garbage_gets_an_error_not_a_host_write_out_of_bounds()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const -8))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("get_value", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            """, allocator: false);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(InvalidMemoryAccess, _host.Gauge("get_value"));
        Assert.False(plugin.IsFailed);
    }

    public void Dispose() => _host.Dispose();
}
