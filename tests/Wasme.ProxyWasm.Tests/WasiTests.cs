using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class WasiTests : IDisposable
{
    private readonly HostHarness _host = new();

    [Fact]
    public void Stdout_and_stderr_go_to_the_plugin_log_and_other_fds_are_refused()
    {
        var wat = new Wat();
        var (outPointer, outLength) = wat.Place("to stdout\n");
        var (errPointer, errLength) = wat.Place("to stderr");
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (i32.store (i32.const 16) (i32.const {{outPointer}}))
              (i32.store (i32.const 20) (i32.const {{outLength}}))
              {{wat.Record("stdout", "(call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32))")}}
              {{wat.Record("written", "(i32.load (i32.const 32))")}}
              (i32.store (i32.const 16) (i32.const {{errPointer}}))
              (i32.store (i32.const 20) (i32.const {{errLength}}))
              {{wat.Record("stderr", "(call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 32))")}}
              {{wat.Record("file", "(call $fd_write (i32.const 5) (i32.const 16) (i32.const 1) (i32.const 32))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "wasi" });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Contains(_host.Logs.Entries, e => e.Level == LogLevel.Information && e.Message == "[wasi] to stdout");
        Assert.Contains(_host.Logs.Entries, e => e.Level == LogLevel.Error && e.Message == "[wasi] to stderr");
        Assert.Equal(0, _host.Gauge("stdout"));
        Assert.Equal(10, _host.Gauge("written"));
        Assert.Equal(8, _host.Gauge("file")); // EBADF
    }

    [Fact]
    public void Clocks_environment_and_random_behave_like_cpp_host()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("realtime", "(call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 16))")}}
              {{wat.Record("realtime_high", "(i32.wrap_i64 (i64.shr_u (i64.load (i32.const 16)) (i64.const 32)))")}}
              {{wat.Record("bad_clock", "(call $clock_time_get (i32.const 9) (i64.const 1) (i32.const 16))")}}
              {{wat.Record("environ_sizes", "(call $environ_sizes_get (i32.const 24) (i32.const 28))")}}
              {{wat.Record("environ_count", "(i32.load (i32.const 24))")}}
              {{wat.Record("environ_bytes", "(i32.load (i32.const 28))")}}
              (drop (call $environ_get (i32.const 100) (i32.const 70000)))
              (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 100)) (i32.sub (i32.load (i32.const 28)) (i32.const 1))))
              {{wat.Record("random", "(call $random_get (i32.const 200) (i32.const 32))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module, new PluginConfiguration
        {
            Name = "env",
            Environment = new Dictionary<string, string> { ["POD_NAME"] = "details-v1" },
        });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        var nanoseconds = (ulong)(_host.Time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        Assert.Equal(0, _host.Gauge("realtime"));
        Assert.Equal((long)(nanoseconds >> 32), _host.Gauge("realtime_high"));
        Assert.Equal(58, _host.Gauge("bad_clock")); // ENOTSUP
        Assert.Equal(0, _host.Gauge("environ_sizes"));
        Assert.Equal(1, _host.Gauge("environ_count"));
        Assert.Equal("POD_NAME=details-v1\0".Length, _host.Gauge("environ_bytes"));
        Assert.Contains("[env] POD_NAME=details-v1", _host.Logs.Messages);
        Assert.Equal(0, _host.Gauge("random"));
    }

    [Fact]
    public void Wasi_imports_without_a_host_meaning_link_and_answer_with_an_errno()
    {
        var wat = new Wat();
        var imports = """
            (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
            (import "wasi_unstable" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
            """ + Wat.EnvImports;
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("readlink", "(call $path_readlink (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))")}}
              {{wat.Record("accept", "(call $sock_accept (i32.const 3) (i32.const 0) (i32.const 0))")}}
              (i32.const 0))
            """, imports);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(44, _host.Gauge("readlink")); // ENOENT
        Assert.Equal(52, _host.Gauge("accept")); // ENOSYS
    }

    public void Dispose() => _host.Dispose();
}
