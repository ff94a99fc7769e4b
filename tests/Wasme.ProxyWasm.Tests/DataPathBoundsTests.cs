using System.Text;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// What a careless or hostile filter can pile up on the data path (bodies it rewrites, properties it stores, lines it
/// logs) is bounded, refused with a status the guest sees, and warned about once.
/// </summary>
public sealed class DataPathBoundsTests : IDisposable
{
    private const int InternalFailure = 10;
    private readonly HostHarness _host = new();

    [Fact]
    public void A_filter_cannot_grow_a_body_past_the_buffer_limit_with_set_buffer_bytes()
    {
        var wat = new Wat();
        // Appends 64 KiB of its memory to the request body 40 times (2.5 MiB), counting the writes the host accepts.
        var module = wat.Module($$"""
            {{wat.CallbackRepeating("proxy_on_request_body", 40, "(call $proxy_set_buffer_bytes (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 65536))", "accepted")}}
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "grower" });
        using var limited = new BodyBuffer { GuestLimit = 200_000 };
        using var unlimited = new BodyBuffer();

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: false);
            stream.OnRequestBody(limited, endOfStream: true);
        }

        Assert.Equal(3 * 65536, limited.Length); // the fourth write would pass 200,000 bytes: refused, buffer unchanged
        Assert.Equal(3, _host.Gauge("accepted"));
        Assert.Equal(InternalFailure, _host.Gauge("last_status"));

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: false);
            stream.OnRequestBody(unlimited, endOfStream: true);
        }

        Assert.Equal(BodyBuffer.DefaultGuestLimit, unlimited.Length); // without a limit of its owner's, Envoy's 1 MiB
        Assert.False(plugin.IsFailed, plugin.FailureReason);
        var warning = Assert.Single(_host.Logs.Entries, e => e.Message.Contains("proxy_set_buffer_bytes", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("past its limit of 200000; refused with INTERNAL_FAILURE", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_write_that_does_not_grow_a_buffer_already_past_the_limit_is_still_allowed()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
              {{wat.Record("replace", $"(call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const -1) {wat.Str("short")})")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        using var body = new BodyBuffer(new byte[100]) { GuestLimit = 10 };
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: false);
        stream.OnRequestBody(body, endOfStream: true);

        Assert.Equal(0, _host.Gauge("replace"));
        Assert.Equal("short", Encoding.UTF8.GetString(body.Span));
    }

    [Fact]
    public void Properties_a_root_context_stores_are_bounded_and_rewriting_one_does_not_count_twice()
    {
        var wat = new Wat();
        // 40 properties of 64 KiB under distinct paths (the loop counter as path), then one path rewritten 40 times.
        var module = wat.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (local $left i32)
              (local.set $left (i32.const 40))
              (loop $store
                (i32.store (i32.const 16) (local.get $left))
                (if (i32.eqz (call $proxy_set_property (i32.const 16) (i32.const 4) (i32.const 0) (i32.const 65536)))
                  (then {{Count(wat, "stored")}}))
                (br_if $store (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
              (local.set $left (i32.const 40))
              (loop $rewrite
                (if (i32.eqz (call $proxy_set_property {{wat.Str("same")}} (i32.const 0) (i32.const 100)))
                  (then {{Count(wat, "rewritten")}}))
                (br_if $rewrite (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
              (i32.const 1))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "hoarder" });

        // 1 MiB holds 15 properties of 4 + 65,536 bytes (each counted 64 bytes more); the 16th and later are refused.
        Assert.Equal(15, _host.Gauge("stored"));
        Assert.Equal(40, _host.Gauge("rewritten"));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
        var warning = Assert.Single(_host.Logs.Entries, e => e.Message.Contains("proxy_set_property", StringComparison.Ordinal));
        Assert.Contains("the root context would pass 1048576 bytes; refused with INTERNAL_FAILURE (PluginLimits.MaxPropertyBytes)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_logged_message_cannot_forge_log_lines_or_send_terminal_escapes()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Log("denied\n2026-01-01 info: [admin] login ok\r\u001b[2J\u0085\u2028end\tx")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "forger" });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Contains(@"[forger] denied\n2026-01-01 info: [admin] login ok\r\u001b[2J\u0085\u2028end\tx", _host.Logs.Messages);
    }

    [Fact]
    public void A_refused_header_name_is_logged_escaped()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-\r\n\u001b[2Jevil")}} {{wat.Str("v")}}))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "injector" });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        var warning = Assert.Single(_host.Logs.Messages, m => m.Contains("containing CR, LF or NUL", StringComparison.Ordinal));
        Assert.Contains(@"(header 'x-\r\n\u001b[2Jevil')", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_messages_through_proxy_log_and_stdout_are_cut_and_say_how_long_they_were()
    {
        var wat = new Wat();
        // proxy_log of 100,000 bytes of 'a'; then one fd_write of 1024 iovecs, each all 128 KiB of memory (128 MiB).
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (local $i i32)
              (memory.fill (i32.const 16384) (i32.const 97) (i32.const 100000))
              (drop (call $proxy_log (i32.const 2) (i32.const 16384) (i32.const 100000)))
              (loop $iovecs
                (i32.store (i32.add (i32.const 120000) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0))
                (i32.store (i32.add (i32.const 120004) (i32.mul (local.get $i) (i32.const 8))) (i32.const 131072))
                (br_if $iovecs (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1024))))
              {{wat.Record("fd_write", "(call $fd_write (i32.const 1) (i32.const 120000) (i32.const 1024) (i32.const 8))")}}
              {{wat.Record("written", "(i32.load (i32.const 8))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "chatty" });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        var logged = _host.Logs.Messages.Single(m => m.StartsWith("[chatty] aaaa", StringComparison.Ordinal));
        Assert.Equal("[chatty] " + new string('a', 16 * 1024) + "… [cut: 100000 bytes in all]", logged);
        Assert.Equal(0, _host.Gauge("fd_write"));
        Assert.Equal(1024 * 131072, _host.Gauge("written")); // the guest is told all was written
        var stdout = _host.Logs.Messages.Single(m => m.EndsWith("bytes in all]", StringComparison.Ordinal) && m != logged);
        Assert.True(stdout.Length < 20 * 1024 * 6, $"a {stdout.Length}-character line reached the log");
        Assert.EndsWith($"[cut: {1024 * 131072} bytes in all]", stdout, StringComparison.Ordinal);
        Assert.Single(_host.Logs.Messages, m => m.Contains("messages are cut at 16384 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void A_filter_cannot_pile_up_header_entries_without_bound()
    {
        var wat = new Wat();
        // Adds a 100-byte header 20,000 times (about 2 MiB) in one callback, counting the adds the host accepts.
        var module = wat.Module($$"""
            {{wat.CallbackRepeating("proxy_on_request_headers", 20000, $"(call $proxy_add_header_map_value (i32.const 0) {wat.Str("x-junk")} {wat.Str(new string('v', 100))})", "added")}}
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "piler" });
        var headers = HostHarness.RequestHeaders();
        var before = headers.Count;

        for (var round = 0; round < 2; round++)
        {
            // A second stream gets its own allowance: the bound is per stream, not for the VM's life.
            using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
            stream.OnRequestHeaders(round == 0 ? headers : HostHarness.RequestHeaders(), endOfStream: true);
        }

        var perStream = 1024 * 1024 / ("x-junk".Length + 100 + HeaderMap.EntryOverhead);
        Assert.Equal(before + perStream, headers.Count);
        Assert.Equal(2 * perStream, _host.Gauge("added"));
        Assert.Equal(InternalFailure, _host.Gauge("last_status"));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
        var warning = Assert.Single(_host.Logs.Entries, e => e.Message.Contains("header entries", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("1048576 bytes", warning.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _host.Dispose();

    private static string Count(Wat wat, string name) =>
        $"(drop (call $proxy_define_metric (i32.const 0) {wat.Str(name)} (i32.const 240))) (drop (call $proxy_increment_metric (i32.load (i32.const 240)) (i64.const 1)))";
}
