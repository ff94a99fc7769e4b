using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class SharedStateTests : IDisposable
{
    private readonly HostHarness _host = new();

    [Fact]
    public void Shared_data_is_visible_across_vms_and_guarded_by_cas()
    {
        var writer = new Wat();
        var writerModule = writer.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{writer.Record("first_set", $"(call $proxy_set_shared_data {writer.Str("greeting")} {writer.Str("hello")} (i32.const 0))")}}
              (i32.const 0))
            """);
        var reader = new Wat();
        var readerModule = reader.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{reader.Record("get", $"(call $proxy_get_shared_data {reader.Str("greeting")} (i32.const 0) (i32.const 4) (i32.const 8))")}}
              {{reader.AddReturnedAsHeader(0, "x-shared")}}
              {{reader.Record("stale_cas", $"(call $proxy_set_shared_data {reader.Str("greeting")} {reader.Str("stale")} (i32.add (i32.load (i32.const 8)) (i32.const 1000)))")}}
              {{reader.Record("fresh_cas", $"(call $proxy_set_shared_data {reader.Str("greeting")} {reader.Str("updated")} (i32.load (i32.const 8)))")}}
              {{reader.Record("reused_cas", $"(call $proxy_set_shared_data {reader.Str("greeting")} {reader.Str("again")} (i32.load (i32.const 8)))")}}
              {{reader.Record("missing", $"(call $proxy_get_shared_data {reader.Str("nope")} (i32.const 0) (i32.const 4) (i32.const 8))")}}
              (drop (call $proxy_get_shared_data {{reader.Str("greeting")}} (i32.const 0) (i32.const 4) (i32.const 8)))
              {{reader.AddReturnedAsHeader(0, "x-after")}}
              (i32.const 0))
            """);
        using var writerPlugin = _host.Start(writerModule, new PluginConfiguration { Name = "writer" });
        using var readerPlugin = _host.Start(readerModule, new PluginConfiguration { Name = "reader" });
        var headers = HostHarness.RequestHeaders();

        using (var stream = writerPlugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        using (var stream = readerPlugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(headers, endOfStream: true);
        }

        Assert.Equal(0, _host.Gauge("first_set"));
        Assert.Equal(0, _host.Gauge("get"));
        Assert.Equal(["hello"], headers.GetValues("x-shared"));
        Assert.Equal(8, _host.Gauge("stale_cas")); // CAS_MISMATCH
        Assert.Equal(0, _host.Gauge("fresh_cas"));
        Assert.Equal(8, _host.Gauge("reused_cas")); // the token changed with the write
        Assert.Equal(1, _host.Gauge("missing"));
        Assert.Equal(["updated"], headers.GetValues("x-after"));
    }

    [Fact]
    public async Task A_shared_queue_carries_messages_from_one_vm_to_another()
    {
        var receiver = new Wat();
        var receiverModule = receiver.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_register_shared_queue {{receiver.Str("events")}} (i32.const 16)))
              (i32.const 1))
            (func (export "proxy_on_queue_ready") (param i32) (param $queue i32)
              {{receiver.Record("dequeue", "(call $proxy_dequeue_shared_queue (local.get $queue) (i32.const 0) (i32.const 4))")}}
              {{receiver.Record("dequeue_again", "(call $proxy_dequeue_shared_queue (local.get $queue) (i32.const 20) (i32.const 24))")}}
              (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 0)) (i32.load (i32.const 4)))))
            """);
        var sender = new Wat();
        var senderModule = sender.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{sender.Record("resolve", $"(call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) {sender.Str("events")} (i32.const 16))")}}
              {{sender.Record("enqueue", $"(call $proxy_enqueue_shared_queue (i32.load (i32.const 16)) {sender.Str("request seen")})")}}
              {{sender.Record("resolve_unknown", $"(call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) {sender.Str("nobody")} (i32.const 16))")}}
              (i32.const 0))
            """);
        using var receiverPlugin = _host.Start(receiverModule, new PluginConfiguration { Name = "receiver" });
        using var senderPlugin = _host.Start(senderModule, new PluginConfiguration { Name = "sender" });
        var delivered = _host.Logs.WaitFor(m => m == "[receiver] request seen");

        using (var stream = senderPlugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        await delivered.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, _host.Gauge("resolve"));
        Assert.Equal(0, _host.Gauge("enqueue"));
        Assert.Equal(1, _host.Gauge("resolve_unknown"));
        Assert.Equal(0, _host.Gauge("dequeue"));
        Assert.Equal(7, _host.Gauge("dequeue_again")); // EMPTY
    }

    [Fact]
    public void Metrics_count_across_streams_and_workers_and_show_in_the_snapshot()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (global $counter (mut i32) (i32.const 0))
            (global $gauge (mut i32) (i32.const 0))
            (global $histogram (mut i32) (i32.const 0))
            (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("requests_total")}} (i32.const 16)))
              (global.set $counter (i32.load (i32.const 16)))
              (drop (call $proxy_define_metric (i32.const 1) {{wat.Str("last_header_count")}} (i32.const 16)))
              (global.set $gauge (i32.load (i32.const 16)))
              (drop (call $proxy_define_metric (i32.const 2) {{wat.Str("header_counts")}} (i32.const 16)))
              (global.set $histogram (i32.load (i32.const 16)))
              (i32.const 1))
            (func (export "proxy_on_request_headers") (param i32) (param $count i32) (param i32) (result i32)
              (drop (call $proxy_increment_metric (global.get $counter) (i64.const 1)))
              (drop (call $proxy_record_metric (global.get $gauge) (i64.extend_i32_u (local.get $count))))
              (drop (call $proxy_record_metric (global.get $histogram) (i64.extend_i32_u (local.get $count))))
              {{wat.Record("counter_decrement", "(call $proxy_increment_metric (global.get $counter) (i64.const -1))")}}
              (drop (call $proxy_get_metric (global.get $counter) (i32.const 32)))
              {{wat.Record("counter_seen_by_guest", "(i32.load (i32.const 32))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "metrics", Workers = 2 });

        foreach (var extra in new[] { 0, 1, 2 })
        {
            using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
            var headers = HostHarness.RequestHeaders(Enumerable.Range(0, extra).Select(i => ($"x-{i}", "v")).ToArray());
            stream.OnRequestHeaders(headers, endOfStream: true);
        }

        var metrics = _host.Runtime.GetMetrics().ToDictionary(m => m.Name);
        Assert.Equal(3, metrics["requests_total"].Value);
        Assert.Equal(MetricType.Counter, metrics["requests_total"].Type);
        Assert.Equal(6, metrics["last_header_count"].Value);
        Assert.Equal(3, metrics["header_counts"].Count);
        Assert.Equal(4 + 5 + 6, metrics["header_counts"].Sum);
        Assert.Equal(2, _host.Gauge("counter_decrement")); // counters only go up
        Assert.Equal(3, _host.Gauge("counter_seen_by_guest"));
    }

    [Fact]
    public void Ticks_follow_the_period_the_filter_sets()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (global $ticks (mut i32) (i32.const 0))
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_set_tick_period_milliseconds (i32.const 1000)))
              (i32.const 1))
            (func (export "proxy_on_tick") (param i32)
              (global.set $ticks (i32.add (global.get $ticks) (i32.const 1)))
              (drop (call $proxy_define_metric (i32.const 1) (i32.const 1024) (i32.const 5) (i32.const 16)))
              (drop (call $proxy_record_metric (i32.load (i32.const 16)) (i64.extend_i32_u (global.get $ticks))))
              (if (i32.eq (global.get $ticks) (i32.const 3))
                (then (drop (call $proxy_set_tick_period_milliseconds (i32.const 0))))))
            (data (i32.const 1024) "ticks")
            """);
        using var plugin = _host.Start(module);

        _host.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.DoesNotContain(_host.Runtime.GetMetrics(), m => m.Name == "ticks");
        _host.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _host.Gauge("ticks"));
        _host.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(3, _host.Gauge("ticks"));
        _host.Time.Advance(TimeSpan.FromSeconds(5)); // the filter turned its timer off at 3
        Assert.Equal(3, _host.Gauge("ticks"));
    }

    [Fact]
    public void Foreign_compress_and_uncompress_round_trip()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("compress", $"(call $proxy_call_foreign_function {wat.Str("compress")} {wat.Str("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")} (i32.const 0) (i32.const 4))")}}
              {{wat.Record("compressed_size", "(i32.load (i32.const 4))")}}
              {{wat.Record("uncompress", "(call $proxy_call_foreign_function (i32.const 1400) (i32.const 10) (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.const 0) (i32.const 4))")}}
              {{wat.Record("uncompressed_size", "(i32.load (i32.const 4))")}}
              {{wat.Record("unknown", $"(call $proxy_call_foreign_function {wat.Str("expr_evaluate")} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            (data (i32.const 1400) "uncompress")
            """);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(0, _host.Gauge("compress"));
        Assert.InRange(_host.Gauge("compressed_size"), 1, 40);
        Assert.Equal(0, _host.Gauge("uncompress"));
        Assert.Equal(84, _host.Gauge("uncompressed_size"));
        Assert.Equal(1, _host.Gauge("unknown"));
    }

    public void Dispose() => _host.Dispose();
}
