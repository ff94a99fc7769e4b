using System.Text;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class HeaderAndBodyTests : IDisposable
{
    private readonly HostHarness _host = new();

    [Fact]
    public void Header_host_calls_follow_envoy_semantics()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              ;; add appends a duplicate, replace sets, remove drops every value; keys are lower-cased.
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("X-Added")}} {{wat.Str("one")}}))
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-added")}} {{wat.Str("two")}}))
              (drop (call $proxy_replace_header_map_value (i32.const 0) {{wat.Str("X-Replaced")}} {{wat.Str("new")}}))
              (drop (call $proxy_remove_header_map_value (i32.const 0) {{wat.Str("x-remove-me")}}))
              {{wat.Record("remove_absent", $"(call $proxy_remove_header_map_value (i32.const 0) {wat.Str("never-there")})")}}
              {{wat.Record("get_absent", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str("never-there")} (i32.const 0) (i32.const 4))")}}
              ;; get returns the first value; copy it into a new header to show it.
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-multi")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-first-multi")}}
              {{wat.Record("bad_map_type", $"(call $proxy_add_header_map_value (i32.const 42) {wat.Str("a")} {wat.Str("b")})")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var headers = HostHarness.RequestHeaders(("x-replaced", "old"), ("x-remove-me", "1"), ("x-remove-me", "2"), ("x-multi", "first"), ("x-multi", "second"));
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(headers, endOfStream: true);

        Assert.Equal(["one", "two"], headers.GetValues("x-added"));
        Assert.Equal(["new"], headers.GetValues("x-replaced"));
        Assert.False(headers.ContainsKey("x-remove-me"));
        Assert.Equal(["first"], headers.GetValues("x-first-multi"));
        Assert.Equal(0, _host.Gauge("remove_absent"));
        Assert.Equal(1, _host.Gauge("get_absent")); // NOT_FOUND
        Assert.Equal(2, _host.Gauge("bad_map_type")); // BAD_ARGUMENT
    }

    [Fact]
    public void A_header_read_matches_its_name_in_any_case_ascii_or_not()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("X-Multi")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-upper")}}
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-ÉTÉ")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-unicode")}}
              {{wat.Record("prefix", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str("x-mult")} (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var headers = HostHarness.RequestHeaders(("x-multi", "first"), ("x-multi", "second"), ("x-été", "chaud"));
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(headers, endOfStream: true);

        Assert.Equal(["first"], headers.GetValues("x-upper"));
        Assert.Equal(["chaud"], headers.GetValues("x-unicode"));
        Assert.Equal(1, _host.Gauge("prefix")); // NOT_FOUND: a prefix of a name is not the name
    }

    [Fact]
    public void Memory_the_guest_grows_between_two_host_calls_is_readable_by_the_second()
    {
        var wat = new Wat();
        // The module starts with two pages (131072 bytes); the second header's name and value live in a third page
        // grown after the first host call, as an SDK allocator grows memory between calls.
        var (name, nameLength) = wat.Place("x-grown");
        var (value, valueLength) = wat.Place("yes");
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-before")}} {{wat.Str("1")}}))
              (drop (memory.grow (i32.const 1)))
              (memory.copy (i32.const 131072) (i32.const {{name}}) (i32.const {{nameLength}}))
              (memory.copy (i32.const 131088) (i32.const {{value}}) (i32.const {{valueLength}}))
              {{wat.Record("add_in_grown_page", $"(call $proxy_add_header_map_value (i32.const 0) (i32.const 131072) (i32.const {nameLength}) (i32.const 131088) (i32.const {valueLength}))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var headers = HostHarness.RequestHeaders();
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(headers, endOfStream: true);

        Assert.Equal(0, _host.Gauge("add_in_grown_page"));
        Assert.Equal(["yes"], headers.GetValues("x-grown"));
    }

    [Fact]
    public void Header_pairs_round_trip_through_the_guest_in_envoy_serialization()
    {
        var wat = new Wat();
        // Reads the request headers as serialized pairs and writes them, unchanged, as the response headers.
        var module = wat.Module($$"""
            (global $pairs (mut i32) (i32.const 0))
            (global $size (mut i32) (i32.const 0))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_header_map_size (i32.const 0) (i32.const 8)))
              {{wat.Record("size", "(i32.load (i32.const 8))")}}
              (drop (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 0) (i32.const 4)))
              (global.set $pairs (i32.load (i32.const 0)))
              (global.set $size (i32.load (i32.const 4)))
              (global.set $heap_base (global.get $heap))
              (i32.const 0))
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("set_pairs", "(call $proxy_set_header_map_pairs (i32.const 2) (global.get $pairs) (global.get $size))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var request = HostHarness.RequestHeaders(("x-multi", "1"), ("x-multi", "2"));
        var response = new HeaderMap();
        response.Add(":status", "200");
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(request, endOfStream: true);
        stream.OnResponseHeaders(response, endOfStream: true);

        Assert.Equal(request.ToArray(), response.ToArray());
        Assert.Equal(Abi.PairsCodec.Serialize(request).Length, _host.Gauge("size"));
        Assert.Equal(0, _host.Gauge("set_pairs"));
    }

    [Fact]
    public void Buffer_writes_prepend_append_and_replace_as_envoy_does()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
              (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 0) {{wat.Str("<")}}))
              (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 2147483647) (i32.const 0) {{wat.Str(">")}}))
              {{wat.Record("middle_write", $"(call $proxy_set_buffer_bytes (i32.const 0) (i32.const 2) (i32.const 1) {wat.Str("!")})")}}
              (drop (call $proxy_get_buffer_status (i32.const 0) (i32.const 8) (i32.const 12)))
              {{wat.Record("length", "(i32.load (i32.const 8))")}}
              (drop (call $proxy_get_buffer_bytes (i32.const 0) (i32.const 1) (i32.const 3) (i32.const 0) (i32.const 4)))
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-slice")}} (i32.load (i32.const 0)) (i32.load (i32.const 4))))
              {{wat.Record("overflowing_range", "(call $proxy_get_buffer_bytes (i32.const 0) (i32.const -2) (i32.const 4) (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
              (drop (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 0) (i32.const -1) {{wat.Str("replaced")}}))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var request = HostHarness.RequestHeaders();
        using var requestBody = new BodyBuffer("body"u8);
        using var responseBody = new BodyBuffer("upstream said hello"u8);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(request, endOfStream: false);
        Assert.Equal(FilterDataStatus.Continue, stream.OnRequestBody(requestBody, endOfStream: true));
        stream.OnResponseBody(responseBody, endOfStream: true);

        Assert.Equal("<body>", Encoding.UTF8.GetString(requestBody.Span));
        Assert.Equal("replaced", Encoding.UTF8.GetString(responseBody.Span));
        Assert.Equal(2, _host.Gauge("middle_write")); // BAD_ARGUMENT: only prepend, append, replace
        Assert.Equal(6, _host.Gauge("length"));
        Assert.Equal(["bod"], request.GetValues("x-slice"));
        Assert.Equal(2, _host.Gauge("overflowing_range"));
    }

    [Fact]
    public void A_local_response_reaches_the_data_plane_and_stops_the_stream()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (if (i32.eq (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-deny")}} (i32.const 0) (i32.const 4)) (i32.const 0))
                (then
                  (drop (call $proxy_send_local_response (i32.const 403) {{wat.Str("denied_by_filter")}} {{wat.Str("forbidden\n")}}
                    {{wat.Str(Encoding.Latin1.GetString(Abi.PairsCodec.Serialize(Headers(("X-Reason", "deny-header")))))}} (i32.const -1)))
                  {{wat.Record("second_reply", $"(call $proxy_send_local_response (i32.const 500) {wat.Str("again")} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1))")}}))
              ;; The filter says Continue, but a local reply always stops the stream.
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);

        var status = stream.OnRequestHeaders(HostHarness.RequestHeaders(("x-deny", "yes")), endOfStream: true);

        Assert.Equal(FilterHeadersStatus.StopIteration, status);
        Assert.True(stream.LocalResponseSent);
        var reply = Assert.Single(host.LocalResponses);
        Assert.Equal(403, reply.StatusCode);
        Assert.Equal("denied_by_filter", reply.Details);
        Assert.Equal("forbidden\n", Encoding.UTF8.GetString(reply.Body.Span));
        Assert.Equal(["deny-header"], reply.Headers.GetValues("x-reason"));
        Assert.Equal(2, _host.Gauge("second_reply"));
    }

    [Fact]
    public void Pausing_and_resuming_are_passed_to_the_data_plane()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
            (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
              (drop (call $proxy_continue_stream (i32.const 0)))
              (drop (call $proxy_close_stream (i32.const 1)))
              (i32.const 1))
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 9))
            (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 9))
            (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 1))
            """);
        using var plugin = _host.Start(module);
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);
        using var body = new BodyBuffer("x"u8);

        Assert.Equal(FilterHeadersStatus.StopIteration, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: false));
        Assert.Equal(FilterDataStatus.StopIterationAndBuffer, stream.OnRequestBody(body, endOfStream: false));
        Assert.Equal(FilterTrailersStatus.StopIteration, stream.OnRequestTrailers(new HeaderMap()));
        // Out-of-range results are clamped as cpp-host clamps them.
        Assert.Equal(FilterHeadersStatus.StopAllIterationAndWatermark, stream.OnResponseHeaders(new HeaderMap(), endOfStream: false));
        Assert.Equal(FilterDataStatus.StopIterationNoBuffer, stream.OnResponseBody(body, endOfStream: true));

        Assert.Equal([StreamType.HttpRequest], host.Continued);
        Assert.Equal([StreamType.HttpResponse], host.Closed);
    }

    private static HeaderMap Headers(params (string Key, string Value)[] pairs)
    {
        var map = new HeaderMap();
        foreach (var (key, value) in pairs)
        {
            map.Add(key, value);
        }

        return map;
    }

    public void Dispose() => _host.Dispose();
}
