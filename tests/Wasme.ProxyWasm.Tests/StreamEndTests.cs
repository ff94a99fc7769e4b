using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// A stream's end (done, log, delete) runs in one entry into the VM through a trampoline; what the guest sees and what
/// a failure reports must be what three separate calls gave.
/// </summary>
public sealed class StreamEndTests : IDisposable
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

        var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        stream.Complete();

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

        var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        stream.Complete();

        Assert.False(plugin.IsFailed, plugin.FailureReason);
        Assert.Equal(1, _host.Gauge("done_path")); // NOT_FOUND: the root context has no request
        Assert.Equal(0, _host.Gauge("log_path")); // OK: back on the stream
    }

    public void Dispose() => _host.Dispose();
}
