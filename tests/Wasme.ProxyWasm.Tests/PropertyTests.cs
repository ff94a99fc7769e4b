using System.Text;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class PropertyTests : IDisposable
{
    private readonly HostHarness _host = new();

    /// <summary>Runs a guest that reads <paramref name="paths"/> and copies each value into a request header x-p{i}.</summary>
    private (HeaderMap Headers, long[] Statuses) Read(string[] paths, PluginConfiguration? configuration = null)
    {
        var wat = new Wat();
        var reads = new StringBuilder();
        for (var i = 0; i < paths.Length; i++)
        {
            reads.Append(wat.Record($"status{i}", $"(call $proxy_get_property {wat.Str(paths[i])} (i32.const 0) (i32.const 4))"));
            reads.Append(wat.AddReturnedAsHeader(0, $"x-p{i}"));
        }

        var module = wat.Module($$"""
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) {{reads}} (i32.const 0))
            """);
        using var plugin = _host.Start(module, configuration);
        var headers = HostHarness.RequestHeaders(("user-agent", "tests/1.0"), ("x-multi", "a"), ("x-multi", "b"));
        var response = new HeaderMap();
        response.Add(":status", "201");
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        stream.OnRequestHeaders(headers, endOfStream: true);
        stream.OnResponseHeaders(response, endOfStream: true);
        var statuses = new long[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            statuses[i] = _host.Gauge($"status{i}");
        }

        return (headers, statuses);
    }

    private static string Value(HeaderMap headers, int index) => headers.GetValues($"x-p{index}").Single();

    [Fact]
    public void String_properties_come_back_as_raw_utf8()
    {
        var (headers, statuses) = Read(
            ["plugin_name", "plugin_root_id", "request\0path", "request\0url_path", "request\0method", "request\0host", "request\0useragent", "request\0protocol", "source\0address", "request\0headers\0x-multi", "node\0id", "xds\0node\0metadata\0ISTIO_VERSION", "request.path"],
            new PluginConfiguration
            {
                Name = "props",
                RootId = "root-7",
                NodeProperties = new Dictionary<string, string> { ["id"] = "sidecar~1", ["metadata.ISTIO_VERSION"] = "1.24.0" },
            });

        Assert.All(statuses, s => Assert.Equal(0, s));
        Assert.Equal("props", Value(headers, 0));
        Assert.Equal("root-7", Value(headers, 1));
        Assert.Equal("/status?x=1", Value(headers, 2));
        Assert.Equal("/status", Value(headers, 3));
        Assert.Equal("GET", Value(headers, 4));
        Assert.Equal("example.test", Value(headers, 5));
        Assert.Equal("tests/1.0", Value(headers, 6));
        Assert.Equal("HTTP/1.1", Value(headers, 7));
        Assert.Equal("127.0.0.1:54321", Value(headers, 8));
        Assert.Equal("a,b", Value(headers, 9));
        Assert.Equal("sidecar~1", Value(headers, 10));
        Assert.Equal("1.24.0", Value(headers, 11));
        Assert.Equal("/status?x=1", Value(headers, 12)); // dotted spelling accepted too
    }

    [Fact]
    public void Integer_properties_are_eight_little_endian_bytes()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("code_status", $"(call $proxy_get_property {wat.Str("response\0code")} (i32.const 0) (i32.const 4))")}}
              {{wat.Record("code_size", "(i32.load (i32.const 4))")}}
              {{wat.Record("code", "(i32.wrap_i64 (i64.load (i32.load (i32.const 0))))")}}
              (drop (call $proxy_get_property {{wat.Str("source\0port")}} (i32.const 0) (i32.const 4)))
              {{wat.Record("port", "(i32.wrap_i64 (i64.load (i32.load (i32.const 0))))")}}
              (drop (call $proxy_get_property {{wat.Str("connection\0id")}} (i32.const 0) (i32.const 4)))
              {{wat.Record("connection_id", "(i32.wrap_i64 (i64.load (i32.load (i32.const 0))))")}}
              {{wat.Record("unknown", $"(call $proxy_get_property {wat.Str("no\0such\0thing")} (i32.const 0) (i32.const 4))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var response = new HeaderMap();
        response.Add(":status", "201");
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        stream.OnResponseHeaders(response, endOfStream: true);

        Assert.Equal(0, _host.Gauge("code_status"));
        Assert.Equal(8, _host.Gauge("code_size"));
        Assert.Equal(201, _host.Gauge("code"));
        Assert.Equal(54321, _host.Gauge("port"));
        Assert.Equal(7, _host.Gauge("connection_id"));
        Assert.Equal(1, _host.Gauge("unknown")); // NOT_FOUND
    }

    [Fact]
    public void Request_time_and_current_time_come_from_the_host_clock_as_nanoseconds()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_property {{wat.Str("request\0time")}} (i32.const 0) (i32.const 4)))
              {{wat.Record("time_low", "(i32.wrap_i64 (i64.load (i32.load (i32.const 0))))")}}
              {{wat.Record("time_high", "(i32.wrap_i64 (i64.shr_u (i64.load (i32.load (i32.const 0))) (i64.const 32)))")}}
              (drop (call $proxy_get_current_time_nanoseconds (i32.const 16)))
              {{wat.Record("now_low", "(i32.wrap_i64 (i64.load (i32.const 16)))")}}
              {{wat.Record("now_high", "(i32.wrap_i64 (i64.shr_u (i64.load (i32.const 16)) (i64.const 32)))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        var expected = (ulong)(_host.Time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        Assert.Equal(expected, ((ulong)_host.Gauge("time_high") << 32) | (ulong)_host.Gauge("time_low"));
        Assert.Equal(expected, ((ulong)_host.Gauge("now_high") << 32) | (ulong)_host.Gauge("now_low"));
    }

    [Fact]
    public void Properties_a_filter_sets_can_be_read_back_by_the_same_stream()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_set_property {{wat.Str("wasm\0decision")}} {{wat.Str("allow")}}))
              (drop (call $proxy_get_property {{wat.Str("wasm\0decision")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-decision")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var headers = HostHarness.RequestHeaders();
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(headers, endOfStream: true);

        Assert.Equal(["allow"], headers.GetValues("x-decision"));
    }

    public void Dispose() => _host.Dispose();
}
