using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class LimitsAndFailureTests : IDisposable
{
    private readonly HostHarness _host = new();

    /// <summary>Traps (unreachable) only for requests carrying <c>x-crash</c>, so a reloaded VM can serve others.</summary>
    private static string CrashOnHeader(Wat wat) => $$"""
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (if (i32.eq (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-crash")}} (i32.const 0) (i32.const 4)) (i32.const 0))
            (then unreachable))
          (i32.const 0))
        """;

    [Fact]
    public void An_infinite_loop_is_interrupted_by_the_call_deadline_and_the_stream_fails_closed()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (loop $forever (br $forever))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration
        {
            Name = "loop",
            Limits = new PluginLimits { CallTimeout = TimeSpan.FromMilliseconds(50) },
        });
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);

        var status = stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(FilterHeadersStatus.StopIteration, status);
        Assert.Equal(503, Assert.Single(host.LocalResponses).StatusCode);
        Assert.True(plugin.IsFailed);
        Assert.Contains("deadline", plugin.FailureReason);
    }

    [Fact]
    public void Short_calls_over_a_span_longer_than_the_deadline_each_get_a_full_deadline()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (i32.const 0))
            """);
        var timeout = TimeSpan.FromMilliseconds(50);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "brief", Limits = new PluginLimits { CallTimeout = timeout } });

        // The deadline bounds one call, not the VM's life: calls keep coming for four deadlines' time.
        var started = Environment.TickCount64;
        var calls = 0;
        while (Environment.TickCount64 - started < 4 * timeout.TotalMilliseconds)
        {
            var host = new RecordingStreamHost();
            using var stream = plugin.CreateHttpStream(host);
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
            calls++;
            Thread.Sleep(2);
        }

        Assert.False(plugin.IsFailed, plugin.FailureReason);
        Assert.True(calls > 10, $"only {calls} calls were made");
    }

    [Fact]
    public void A_guest_that_allocates_without_end_is_stopped_at_the_memory_cap()
    {
        var wat = new Wat();
        // Grows one page at a time until growth is refused, records how far it got, then aborts as SDKs do on OOM.
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (block $refused
                (loop $grow
                  (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                  (br $grow)))
              {{wat.Record("pages_at_refusal", "(memory.size)")}}
              unreachable)
            """);
        const long cap = 4L * 1024 * 1024;
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "oom", Limits = new PluginLimits { MaxMemoryBytes = cap } });
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(cap / 65536, _host.Gauge("pages_at_refusal"));
        Assert.True(plugin.IsFailed);
        Assert.Equal(503, Assert.Single(host.LocalResponses).StatusCode);
    }

    [Fact]
    public void Fail_closed_answers_503_for_the_failing_stream_and_every_later_one()
    {
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(CrashOnHeader(wat)), new PluginConfiguration { Name = "closed", FailurePolicy = FailurePolicy.FailClosed });

        var first = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(first))
        {
            Assert.Equal(FilterHeadersStatus.StopIteration, stream.OnRequestHeaders(HostHarness.RequestHeaders(("x-crash", "1")), endOfStream: true));
            Assert.True(stream.LocalResponseSent);
            // The reply to the failure is not run through the failed filter again.
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnResponseHeaders(new HeaderMap(), endOfStream: true));
            stream.OnDone();
        }

        var second = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(second))
        {
            Assert.Equal(FilterHeadersStatus.StopIteration, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
        }

        var reply = Assert.Single(first.LocalResponses);
        Assert.Equal(503, reply.StatusCode);
        Assert.Equal("wasm_fail_stream", reply.Details);
        Assert.Equal(503, Assert.Single(second.LocalResponses).StatusCode);
        Assert.Contains(_host.Logs.Entries, e => e.Message.Contains("VM failed in proxy_on_request_headers", StringComparison.Ordinal));
    }

    [Fact]
    public void Fail_open_skips_the_filter_for_the_failing_stream_and_every_later_one()
    {
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(CrashOnHeader(wat)), new PluginConfiguration { Name = "open", FailurePolicy = FailurePolicy.FailOpen });

        var first = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(first))
        {
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(HostHarness.RequestHeaders(("x-crash", "1")), endOfStream: true));
            Assert.True(stream.IsBypassed);
        }

        var second = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(second))
        {
            Assert.True(stream.IsBypassed);
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
        }

        Assert.Empty(first.LocalResponses);
        Assert.Empty(second.LocalResponses);
    }

    [Fact]
    public void Reload_fails_the_stream_then_starts_a_fresh_vm_after_the_backoff()
    {
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(CrashOnHeader(wat)), new PluginConfiguration
        {
            Name = "reload",
            FailurePolicy = FailurePolicy.Reload,
            ReloadBackoff = TimeSpan.FromSeconds(1),
        });

        var crashing = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(crashing))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(("x-crash", "1")), endOfStream: true);
        }

        // Within the backoff the plugin stays failed closed rather than reloading in a loop.
        var early = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(early))
        {
            Assert.Equal(FilterHeadersStatus.StopIteration, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
        }

        _host.Time.Advance(TimeSpan.FromSeconds(1));
        var later = new RecordingStreamHost();
        using (var stream = plugin.CreateHttpStream(later))
        {
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
        }

        Assert.Equal(503, Assert.Single(crashing.LocalResponses).StatusCode);
        Assert.Equal(503, Assert.Single(early.LocalResponses).StatusCode);
        Assert.Empty(later.LocalResponses);
        Assert.Equal(1, plugin.ReloadCount);
        Assert.False(plugin.IsFailed);
    }

    [Fact]
    public void Reload_backs_off_exponentially_when_the_new_vm_fails_at_once()
    {
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(CrashOnHeader(wat)), new PluginConfiguration
        {
            Name = "query-of-death",
            FailurePolicy = FailurePolicy.Reload,
            ReloadBackoff = TimeSpan.FromSeconds(1),
        });

        void Crash()
        {
            using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
            stream.OnRequestHeaders(HostHarness.RequestHeaders(("x-crash", "1")), endOfStream: true);
        }

        Crash();
        _host.Time.Advance(TimeSpan.FromSeconds(1));
        Crash(); // reload #1 serves this stream and dies at once: the next wait is 2 s
        Assert.Equal(1, plugin.ReloadCount);

        _host.Time.Advance(TimeSpan.FromSeconds(1));
        Crash();
        Assert.Equal(1, plugin.ReloadCount);

        _host.Time.Advance(TimeSpan.FromSeconds(1));
        Crash();
        Assert.Equal(2, plugin.ReloadCount);
    }

    [Fact]
    public void A_trap_during_start_is_reported_and_does_not_take_the_process_down()
    {
        var wat = new Wat();
        var module = wat.Module("""(func (export "_initialize") unreachable)""");

        var error = Assert.Throws<ProxyWasmException>(() => _host.Start(module));

        Assert.Contains("_initialize failed", error.Message);
    }

    [Fact]
    public void Proc_exit_stops_the_vm_instead_of_letting_it_run_on()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (call $proc_exit (i32.const 3))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.True(plugin.IsFailed);
        Assert.Contains("proc_exit(3)", plugin.FailureReason);
    }

    [Fact]
    public void Host_calls_from_inside_the_allocator_fail_the_vm()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_memory_allocate") (param i32) (result i32)
              (drop (call $proxy_set_tick_period_milliseconds (i32.const 10)))
              (i32.const 70000))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str(":path")}} (i32.const 0) (i32.const 4)))
              (i32.const 0))
            """, allocator: false);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.True(plugin.IsFailed);
        Assert.Contains("inside its allocator", plugin.FailureReason);
    }

    [Fact]
    public void An_allocator_that_never_returns_is_reported_as_a_timeout()
    {
        // The header read hands its value over through the guest's allocator: the deadline interrupts that nested call,
        // and the failure is the timeout, not Wasmtime's text about a trap inside a host call.
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_memory_allocate") (param i32) (result i32)
              (loop $forever (br $forever))
              (i32.const 0))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str(":path")}} (i32.const 0) (i32.const 4)))
              (i32.const 0))
            """, allocator: false);
        using var plugin = _host.Start(module, new PluginConfiguration
        {
            Name = "stuck-allocator",
            Limits = new PluginLimits { CallTimeout = TimeSpan.FromMilliseconds(50) },
        });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.True(plugin.IsFailed);
        Assert.Contains("exceeded its 50 ms deadline", plugin.FailureReason);
    }

    public void Dispose() => _host.Dispose();
}
