using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class LifecycleTests : IDisposable
{
    private readonly HostHarness _host = new();

    private static string Tracing(Wat wat) => $$"""
        (func (export "_initialize") {{wat.Log("initialize")}})
        (func (export "main") (param i32 i32) (result i32) {{wat.Log("main")}} (i32.const 0))
        (func (export "_start") {{wat.Log("start must not run when _initialize exists")}})
        (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
          {{wat.Log("context_create")}}
          {{wat.Record("ctx_parent", "(local.get $parent)")}})
        (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
          {{wat.Log("vm_start")}}
          {{wat.Record("vm_start_root", "(local.get $root)")}}
          {{wat.Record("vm_start_size", "(local.get $size)")}}
          (drop (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (i32.const 100) (i32.const 0) (i32.const 4)))
          {{wat.Record("vm_config_len", "(i32.load (i32.const 4))")}}
          (i32.const 1))
        (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
          {{wat.Log("configure")}}
          {{wat.Record("configure_root", "(local.get $root)")}}
          {{wat.Record("configure_size", "(local.get $size)")}}
          (i32.const 1))
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) {{wat.Log("request_headers")}} (i32.const 0))
        (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) {{wat.Log("response_headers")}} (i32.const 0))
        (func (export "proxy_on_done") (param i32) (result i32) {{wat.Log("done")}} (i32.const 1))
        (func (export "proxy_on_log") (param i32) {{wat.Log("log")}})
        """;

    [Fact]
    public void Callbacks_run_in_envoy_order_with_the_real_root_id_and_configurations()
    {
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(Tracing(wat)), new PluginConfiguration
        {
            Name = "trace",
            RootId = "my_root",
            VmConfiguration = "vm-config"u8.ToArray(),
            Configuration = "plugin-configuration"u8.ToArray(),
        });

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
            var response = new HeaderMap();
            response.Add(":status", "200");
            stream.OnResponseHeaders(response, endOfStream: true);
            stream.OnDone();
        }

        var trace = _host.Logs.Messages.Where(m => m.StartsWith("[trace]", StringComparison.Ordinal)).Select(m => m[8..]).ToArray();
        Assert.Equal(["initialize", "main", "context_create", "vm_start", "configure", "context_create", "request_headers", "response_headers", "done", "log"], trace);
        Assert.Equal(1, _host.Gauge("vm_start_root"));
        Assert.Equal(1, _host.Gauge("configure_root"));
        Assert.Equal(9, _host.Gauge("vm_start_size"));
        Assert.Equal(9, _host.Gauge("vm_config_len"));
        Assert.Equal(20, _host.Gauge("configure_size"));
        Assert.Equal(1, _host.Gauge("ctx_parent")); // the stream's parent is the root context
    }

    [Fact]
    public void Complete_ends_a_stream_with_done_log_and_delete_once_however_often_it_is_called()
    {
        var wat = new Wat();
        // The test allocator's proxy_on_delete, traced too.
        var allocator = Wat.Allocator.Replace(
            "(func (export \"proxy_on_delete\") (param i32) ", $"(func (export \"proxy_on_delete\") (param i32) {wat.Log("delete")} ", StringComparison.Ordinal);
        using var plugin = _host.Start(wat.Module(Tracing(wat) + allocator, allocator: false), new PluginConfiguration { Name = "trace", RootId = "my_root" });

        var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        stream.Complete();
        stream.Complete();
        stream.Dispose();
        stream.OnDone();

        var trace = _host.Logs.Messages.Where(m => m.StartsWith("[trace]", StringComparison.Ordinal)).Select(m => m[8..]).SkipWhile(m => m != "request_headers").ToArray();
        Assert.Equal(["request_headers", "done", "log", "delete"], trace);
        Assert.Throws<ObjectDisposedException>(() => stream.OnResponseHeaders(new HeaderMap(), endOfStream: true));
    }

    [Fact]
    public void A_filter_that_refuses_its_configuration_stops_the_plugin_from_starting()
    {
        var wat = new Wat();
        var module = wat.Module("""(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0))""");

        var error = Assert.Throws<ProxyWasmException>(() => _host.Start(module));

        Assert.Contains("rejected its configuration", error.Message);
    }

    [Fact]
    public void A_filter_that_refuses_to_start_stops_the_plugin_from_starting()
    {
        var wat = new Wat();
        var module = wat.Module("""(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0))""");

        var error = Assert.Throws<ProxyWasmException>(() => _host.Start(module));

        Assert.Contains("refused to start", error.Message);
    }

    [Fact]
    public void A_module_without_initialize_runs_start_instead()
    {
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module($$"""(func (export "_start") {{wat.Log("started via _start")}})"""));

        Assert.Contains(_host.Logs.Messages, m => m.EndsWith("started via _start", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_worker_gets_its_own_vm_and_streams_are_spread_over_them()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (global $seen (mut i32) (i32.const 0))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (global.set $seen (i32.add (global.get $seen) (i32.const 1)))
              {{wat.Record("seen_by_this_vm", "(global.get $seen)")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "workers", Workers = 2 });

        for (var i = 0; i < 4; i++)
        {
            using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        // With one VM the counter would reach 4; two VMs share the load and each counts 2.
        Assert.Equal(2, _host.Gauge("seen_by_this_vm"));
    }

    [Fact]
    public void A_stream_starts_clean_after_an_earlier_stream_on_the_same_vm_ended()
    {
        var wat = new Wat();
        // The first stream stores a property, keeps its request headers and answers locally; the next stream, whose
        // request headers never reach this filter (as after an earlier filter's local reply), must see none of it.
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_set_property {{wat.Str("filter\0mark")}} {{wat.Str("set")}}))
              (drop (call $proxy_send_local_response (i32.const 403) {{wat.Str("first")}} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1)))
              (i32.const 0))
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("own_property", $"(call $proxy_get_property {wat.Str("filter\0mark")} (i32.const 0) (i32.const 4))")}}
              {{wat.Record("request_header", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str("x-first")} (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var first = plugin.CreateHttpStream(new RecordingStreamHost());
        first.OnRequestHeaders(HostHarness.RequestHeaders(("x-first", "yes")), endOfStream: true);
        first.OnDone();
        first.Dispose();

        var host = new RecordingStreamHost();
        using var second = plugin.CreateHttpStream(host);
        var response = new HeaderMap();
        response.Add(":status", "200");
        var status = second.OnResponseHeaders(response, endOfStream: true);

        Assert.True(first.LocalResponseSent);
        Assert.Equal(FilterHeadersStatus.Continue, status);
        Assert.False(second.LocalResponseSent);
        Assert.Empty(host.LocalResponses);
        Assert.Equal(1, _host.Gauge("own_property")); // NOT_FOUND: the first stream's property stayed with it
        Assert.Equal(1, _host.Gauge("request_header")); // NOT_FOUND: and its request headers
    }

    public void Dispose() => _host.Dispose();
}
