using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// A stream's start (context create, request headers) and end (done, log, delete) each run in one entry into the VM
/// through a trampoline; what the guest sees and what a failure reports must be what separate calls gave.
/// </summary>
public sealed class StreamTrampolineTests : IDisposable
{
    private readonly HostHarness _host = new();

    [Theory]
    [InlineData("proxy_on_done")]
    [InlineData("proxy_on_log")]
    [InlineData("proxy_on_delete")]
    public void A_trap_at_the_end_of_a_stream_names_the_callback_that_trapped(string trapping)
    {
        var wat = new Wat();
        string Body(string export) => export == trapping ? "unreachable" : wat.Log(export);
        // The test allocator without its own proxy_on_delete.
        var allocator = Wat.Allocator.Replace("(func (export \"proxy_on_delete\") (param i32) (global.set $heap (global.get $heap_base)))", "", StringComparison.Ordinal);
        var module = wat.Module(allocator + $$"""
            (func (export "proxy_on_done") (param i32) (result i32) {{Body("proxy_on_done")}} (i32.const 1))
            (func (export "proxy_on_log") (param i32) {{Body("proxy_on_log")}})
            (func (export "proxy_on_delete") (param i32) {{Body("proxy_on_delete")}})
            """, allocator: false);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "trace" });

        OneRequest(plugin);

        Assert.True(plugin.IsFailed);
        Assert.Contains(_host.Logs.Entries, e => e.Message.Contains($"VM failed in {trapping}:", StringComparison.Ordinal));
        var ran = _host.Logs.Messages.Where(m => m.StartsWith("[trace] proxy_on_", StringComparison.Ordinal)).Select(m => m[8..]).ToArray();
        string[] order = ["proxy_on_done", "proxy_on_log", "proxy_on_delete"];
        Assert.Equal(order.TakeWhile(e => e != trapping), ran);
    }

    [Fact]
    public void The_effective_context_a_callback_sets_lasts_that_callback_only()
    {
        // proxy_on_done switches to the root context (as a filter reporting to its root would); proxy_on_log, the next
        // callback, must act on its own stream again and read its request headers, as in Envoy.
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_done") (param i32) (result i32)
              (drop (call $proxy_set_effective_context (i32.const 1)))
              {{wat.Record("done_path", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const 0) (i32.const 4))")}}
              (i32.const 1))
            (func (export "proxy_on_log") (param i32)
              {{wat.Record("log_path", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const 0) (i32.const 4))")}})
            """);
        using var plugin = _host.Start(module);

        OneRequest(plugin);

        Assert.False(plugin.IsFailed, plugin.FailureReason);
        Assert.Equal(1, _host.Gauge("done_path")); // NOT_FOUND: the root context has no request
        Assert.Equal(0, _host.Gauge("log_path")); // OK: back on the stream
    }

    [Theory]
    [InlineData("proxy_on_context_create")]
    [InlineData("proxy_on_request_headers")]
    public void A_trap_at_the_start_of_a_stream_names_the_callback_and_fails_the_stream(string trapping)
    {
        var wat = new Wat();
        // The root context is created at start too: only a stream's creation traps.
        string Body(string export) => export == trapping ? "(if (i32.gt_u (local.get 0) (i32.const 1)) (then unreachable))" : wat.Log(export);
        var module = wat.Module($$"""
            (func (export "proxy_on_context_create") (param i32 i32) {{Body("proxy_on_context_create")}})
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) {{Body("proxy_on_request_headers")}} (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "trace" });
        var host = new RecordingStreamHost();

        var stream = plugin.CreateHttpStream(host);
        var status = stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        stream.Complete();

        Assert.Equal(FilterHeadersStatus.StopIteration, status);
        Assert.Equal(503, Assert.Single(host.LocalResponses).StatusCode);
        Assert.Contains(_host.Logs.Entries, e => e.Message.Contains($"VM failed in {trapping}:", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_headers_reach_the_guest_with_their_callback_not_at_context_creation()
    {
        // Envoy sets a stream's request headers after onCreate: proxy_on_context_create finds none (and no request.path).
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_context_create") (param $id i32) (param i32)
              (if (i32.gt_u (local.get $id) (i32.const 1))
                (then
                  {{wat.Record("create_path", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const 0) (i32.const 4))")}}
                  {{wat.Record("create_property", $"(call $proxy_get_property {wat.Str("request\0path")} (i32.const 0) (i32.const 4))")}})))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("headers_path", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);

        OneRequest(plugin);

        Assert.False(plugin.IsFailed, plugin.FailureReason);
        Assert.Equal(1, _host.Gauge("create_path")); // NOT_FOUND
        Assert.Equal(1, _host.Gauge("create_property")); // NOT_FOUND
        Assert.Equal(0, _host.Gauge("headers_path")); // OK
    }

    [Fact]
    public void An_effective_context_set_at_context_creation_ends_with_that_callback()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_context_create") (param $id i32) (param i32)
              (if (i32.gt_u (local.get $id) (i32.const 1))
                (then (drop (call $proxy_set_effective_context (i32.const 1))))))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("headers_path", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str(":path")} (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);

        OneRequest(plugin);

        Assert.False(plugin.IsFailed, plugin.FailureReason);
        Assert.Equal(0, _host.Gauge("headers_path")); // OK: back on the stream, not the root context
    }

    [Fact]
    public void A_guest_is_still_held_to_one_memory_beside_the_trampoline()
    {
        // The store's limits grow by the trampoline's own memory only after the guest is instantiated.
        var wat = new Wat();
        var module = wat.Module("(memory $second 1)");

        var error = Assert.Throws<ProxyWasmException>(() => _host.Start(module));

        Assert.Contains("could not be instantiated", error.Message);
        Assert.Contains("memor", error.Message);
    }

    // A header-only request through a stream, start to end, as the data plane drives one.
    private static void OneRequest(ProxyWasmPlugin plugin)
    {
        var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        stream.Complete();
    }

    public void Dispose() => _host.Dispose();
}
