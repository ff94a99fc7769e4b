using System.Text;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// The status each host function answers a sloppy or hostile guest with, checked against Envoy and cpp-host:
/// SDKs map these codes to errors (Rust's panics on the ones it does not expect), so a filter tested here must
/// see the code it will see in Envoy.
/// </summary>
public sealed class ResultCodeParityTests : IDisposable
{
    private const int Ok = 0;
    private const int NotFound = 1;
    private const int BadArgument = 2;
    private const int Empty = 7;
    private const int CasMismatch = 8;

    private readonly HostHarness _host = new();

    private sealed class OneCluster : IHttpCallDispatcher
    {
        public int Calls;

        public bool HasCluster(string cluster) => cluster == "auth";

        public Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(new HttpCallResponse(new HeaderMap(), ReadOnlyMemory<byte>.Empty, new HeaderMap()));
        }
    }

    private static string CallHeaders()
    {
        var headers = new HeaderMap();
        headers.Add(":method", "GET");
        headers.Add(":path", "/check");
        headers.Add(":authority", "auth.local");
        return Encoding.Latin1.GetString(Abi.PairsCodec.Serialize(headers));
    }

    private void RunInRequestHeaders(Wat wat, (string Name, string Call, long Expected)[] checks, OneCluster? upstreams = null)
    {
        var body = string.Concat(checks.Select(c => wat.Record(c.Name, c.Call)));
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{body}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, httpCalls: upstreams);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.All(checks, c => Assert.True(c.Expected == _host.Gauge(c.Name), $"{c.Name}: expected status {c.Expected}, got {_host.Gauge(c.Name)}"));
        Assert.False(plugin.IsFailed);
    }

    [Fact]
    public void An_unknown_buffer_type_is_a_bad_argument_and_a_known_absent_buffer_is_not_found()
    {
        // cpp-host: a type past CallData is BAD_ARGUMENT before any look-up; a known buffer the context lacks is NOT_FOUND.
        var wat = new Wat();
        RunInRequestHeaders(wat,
        [
            ("get_bytes_type_9", "(call $proxy_get_buffer_bytes (i32.const 9) (i32.const 0) (i32.const 10) (i32.const 200) (i32.const 204))", BadArgument),
            ("get_bytes_type_huge", "(call $proxy_get_buffer_bytes (i32.const -1) (i32.const 0) (i32.const 10) (i32.const 200) (i32.const 204))", BadArgument),
            ("get_status_type_9", "(call $proxy_get_buffer_status (i32.const 9) (i32.const 200) (i32.const 204))", BadArgument),
            ("set_bytes_type_9", $"(call $proxy_set_buffer_bytes (i32.const 9) (i32.const 0) (i32.const 0) {wat.Str("x")})", BadArgument),
            ("get_bytes_no_call_response", "(call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 10) (i32.const 200) (i32.const 204))", NotFound),
            ("get_status_no_grpc_message", "(call $proxy_get_buffer_status (i32.const 5) (i32.const 200) (i32.const 204))", NotFound),
        ]);
    }

    [Fact]
    public void Http_call_with_a_negative_timeout_is_a_bad_argument_and_nothing_is_sent()
    {
        // Envoy's httpCall takes the timeout as a signed int and refuses a negative one before anything else.
        var wat = new Wat();
        var upstreams = new OneCluster();
        var headers = CallHeaders();
        RunInRequestHeaders(wat,
        [
            ("call_negative_timeout", $"(call $proxy_http_call {wat.Str("auth")} {wat.Str(headers)} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1) (i32.const 200))", BadArgument),
            ("call_unknown_cluster", $"(call $proxy_http_call {wat.Str("nowhere")} {wat.Str(headers)} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 200))", BadArgument),
            ("call_no_path", $"(call $proxy_http_call {wat.Str("auth")} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 200))", BadArgument),
            ("call_token_oob", $"(call $proxy_http_call {wat.Str("auth")} {wat.Str(headers)} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const -2))", 6),
        ], upstreams);

        Assert.Equal(0, upstreams.Calls);
    }

    [Fact]
    public void A_cas_given_for_a_key_not_yet_stored_is_ignored_and_the_value_stored()
    {
        // cpp-host compares the CAS only against an existing entry; a first write stores whatever CAS came with it.
        var wat = new Wat();
        RunInRequestHeaders(wat,
        [
            ("set_fresh_with_cas", $"(call $proxy_set_shared_data {wat.Str("fresh")} {wat.Str("v1")} (i32.const 77))", Ok),
            ("get_fresh", $"(call $proxy_get_shared_data {wat.Str("fresh")} (i32.const 200) (i32.const 204) (i32.const 208))", Ok),
            ("set_stale_cas", $"(call $proxy_set_shared_data {wat.Str("fresh")} {wat.Str("v2")} (i32.add (i32.load (i32.const 208)) (i32.const 1)))", CasMismatch),
            ("set_current_cas", $"(call $proxy_set_shared_data {wat.Str("fresh")} {wat.Str("v2")} (i32.load (i32.const 208)))", Ok),
            ("get_missing", $"(call $proxy_get_shared_data {wat.Str("missing")} (i32.const 200) (i32.const 204) (i32.const 208))", NotFound),
        ]);
    }

    [Fact]
    public void Queues_metrics_contexts_and_properties_answer_as_envoy_does()
    {
        var wat = new Wat();
        RunInRequestHeaders(wat,
        [
            ("register_first", $"(call $proxy_register_shared_queue {wat.Str("q")} (i32.const 212))", Ok),
            ("register_again", $"(call $proxy_register_shared_queue {wat.Str("q")} (i32.const 216))", Ok),
            ("register_same_id", "(i32.eq (i32.load (i32.const 212)) (i32.load (i32.const 216)))", 1),
            ("dequeue_empty", "(call $proxy_dequeue_shared_queue (i32.load (i32.const 212)) (i32.const 200) (i32.const 204))", Empty),
            ("dequeue_unknown", "(call $proxy_dequeue_shared_queue (i32.const 987654) (i32.const 200) (i32.const 204))", NotFound),
            ("enqueue_unknown", $"(call $proxy_enqueue_shared_queue (i32.const 987654) {wat.Str("m")})", NotFound),
            ("resolve_unknown", $"(call $proxy_resolve_shared_queue {wat.Str("test")} {wat.Str("nope")} (i32.const 200))", NotFound),
            ("define_bad_type", $"(call $proxy_define_metric (i32.const 3) {wat.Str("m_bad")} (i32.const 200))", BadArgument),
            ("define_counter", $"(call $proxy_define_metric (i32.const 0) {wat.Str("m_counter")} (i32.const 220))", Ok),
            ("define_gauge", $"(call $proxy_define_metric (i32.const 1) {wat.Str("m_gauge")} (i32.const 224))", Ok),
            ("define_histogram", $"(call $proxy_define_metric (i32.const 2) {wat.Str("m_histogram")} (i32.const 228))", Ok),
            ("increment_counter_zero", "(call $proxy_increment_metric (i32.load (i32.const 220)) (i64.const 0))", BadArgument),
            ("increment_counter_negative", "(call $proxy_increment_metric (i32.load (i32.const 220)) (i64.const -1))", BadArgument),
            ("increment_gauge_negative", "(call $proxy_increment_metric (i32.load (i32.const 224)) (i64.const -5))", Ok),
            ("increment_histogram", "(call $proxy_increment_metric (i32.load (i32.const 228)) (i64.const 1))", BadArgument),
            ("increment_unknown", "(call $proxy_increment_metric (i32.const 987654) (i64.const 1))", NotFound),
            ("record_unknown", "(call $proxy_record_metric (i32.const 987654) (i64.const 1))", NotFound),
            ("get_unknown", "(call $proxy_get_metric (i32.const 987654) (i32.const 200))", NotFound),
            ("get_histogram", "(call $proxy_get_metric (i32.load (i32.const 228)) (i32.const 200))", BadArgument),
            ("effective_context_unknown", "(call $proxy_set_effective_context (i32.const 987654))", BadArgument),
            ("close_bad_stream", "(call $proxy_close_stream (i32.const 4))", BadArgument),
            ("continue_bad_stream", "(call $proxy_continue_stream (i32.const 4))", BadArgument),
            ("map_type_8", $"(call $proxy_get_header_map_value (i32.const 8) {wat.Str(":path")} (i32.const 200) (i32.const 204))", BadArgument),
            ("map_size_type_8", "(call $proxy_get_header_map_size (i32.const 8) (i32.const 200))", BadArgument),
            ("header_missing", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str("x-not-there")} (i32.const 200) (i32.const 204))", NotFound),
            ("property_missing", $"(call $proxy_get_property {wat.Str("no\0such\0path")} (i32.const 200) (i32.const 204))", NotFound),
            ("foreign_unknown", $"(call $proxy_call_foreign_function {wat.Str("no_such_function")} (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 204))", NotFound),
            ("log_bad_level", $"(call $proxy_log (i32.const 6) {wat.Str("x")})", BadArgument),
        ]);
    }

    [Fact]
    public void Header_writes_from_the_root_context_are_bad_arguments_and_reads_of_its_pairs_are_empty()
    {
        // Envoy: the root context has no stream, so its mutable maps are absent (BAD_ARGUMENT) and pairs read as none.
        var wat = new Wat();
        var checks = new (string Name, string Call, long Expected)[]
        {
            ("root_add", $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-a")} {wat.Str("b")})", BadArgument),
            ("root_replace", $"(call $proxy_replace_header_map_value (i32.const 2) {wat.Str("x-a")} {wat.Str("b")})", BadArgument),
            ("root_remove", $"(call $proxy_remove_header_map_value (i32.const 0) {wat.Str("x-a")})", BadArgument),
            ("root_set_pairs", "(call $proxy_set_header_map_pairs (i32.const 0) (i32.const 0) (i32.const 0))", BadArgument),
            ("root_pairs", "(call $proxy_get_header_map_pairs (i32.const 0) (i32.const 200) (i32.const 204))", Ok),
            ("root_call_body", "(call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 10) (i32.const 200) (i32.const 204))", NotFound),
            ("root_plugin_config", "(call $proxy_get_buffer_status (i32.const 7) (i32.const 200) (i32.const 204))", Ok),
        };
        var body = string.Concat(checks.Select(c => wat.Record(c.Name, c.Call)));
        var module = wat.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              {{body}}
              (i32.const 1))
            """);

        using var plugin = _host.Start(module);

        Assert.All(checks, c => Assert.True(c.Expected == _host.Gauge(c.Name), $"{c.Name}: expected status {c.Expected}, got {_host.Gauge(c.Name)}"));
        Assert.False(plugin.IsFailed);
    }

    public void Dispose() => _host.Dispose();
}
