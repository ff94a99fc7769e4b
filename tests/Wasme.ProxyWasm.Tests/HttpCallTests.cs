using System.Text;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class HttpCallTests : IDisposable
{
    private readonly HostHarness _host = new();

    /// <summary>Answers calls to "auth" from memory and records what it was asked.</summary>
    private sealed class FakeUpstreams(Func<HttpCallRequest, HttpCallResponse> answer) : IHttpCallDispatcher
    {
        public List<(HttpCallRequest Request, TimeSpan Timeout)> Calls { get; } = [];

        public bool HasCluster(string cluster) => cluster == "auth";

        public Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add((request, timeout));
            }

            return Task.FromResult(answer(request));
        }
    }

    /// <summary>
    /// Pauses the request, calls "auth", and on the response copies the call's body into a request header,
    /// then resumes the stream: what an auth filter written with any SDK does.
    /// </summary>
    private static string AuthFilter(Wat wat, string cluster)
    {
        var headers = new HeaderMap();
        headers.Add(":method", "POST");
        headers.Add(":path", "/check");
        headers.Add(":authority", "auth.local");
        headers.Add("X-Caller", "filter");
        var serialized = Encoding.Latin1.GetString(Abi.PairsCodec.Serialize(headers));
        return $$"""
            (global $stream (mut i32) (i32.const 0))
            (func (export "proxy_on_request_headers") (param $ctx i32) (param i32) (param i32) (result i32)
              (global.set $stream (local.get $ctx))
              {{wat.Record("dispatch", $"(call $proxy_http_call {wat.Str(cluster)} {wat.Str(serialized)} {wat.Str("who?")} (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 32))")}}
              (i32.const 1))
            (func (export "proxy_on_http_call_response") (param i32) (param $call i32) (param $headers i32) (param $body i32) (param i32)
              {{wat.Record("response_headers", "(local.get $headers)")}}
              (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (local.get $body) (i32.const 40) (i32.const 44)))
              (drop (call $proxy_get_header_map_value (i32.const 6) {{wat.Str(":status")}} (i32.const 48) (i32.const 52)))
              (drop (call $proxy_set_effective_context (global.get $stream)))
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-auth")}} (i32.load (i32.const 40)) (i32.load (i32.const 44))))
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-auth-status")}} (i32.load (i32.const 48)) (i32.load (i32.const 52))))
              (drop (call $proxy_continue_stream (i32.const 0))))
            """;
    }

    [Fact]
    public async Task The_call_response_reaches_the_root_context_which_resumes_the_stream()
    {
        var upstreams = new FakeUpstreams(_ =>
        {
            var headers = new HeaderMap();
            headers.Add(":status", "200");
            return new HttpCallResponse(headers, "user=alice"u8.ToArray(), new HeaderMap());
        });
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(AuthFilter(wat, "auth")), new PluginConfiguration { Name = "auth" }, upstreams);
        var host = new RecordingStreamHost();
        var request = HostHarness.RequestHeaders();
        using var stream = plugin.CreateHttpStream(host);

        Assert.Equal(FilterHeadersStatus.StopIteration, stream.OnRequestHeaders(request, endOfStream: true));
        Assert.Equal(StreamType.HttpRequest, await host.FirstContinue.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, _host.Gauge("dispatch"));
        var (call, timeout) = Assert.Single(upstreams.Calls);
        Assert.Equal("auth", call.Cluster);
        Assert.Equal(["filter"], call.Headers.GetValues("x-caller")); // lower-cased on the way out
        Assert.Equal("who?", Encoding.UTF8.GetString(call.Body.Span));
        Assert.Equal(TimeSpan.FromSeconds(5), timeout);
        // The filter wrote these before it resumed the stream.
        Assert.Equal(["user=alice"], request.GetValues("x-auth"));
        Assert.Equal(["200"], request.GetValues("x-auth-status"));
    }

    [Fact]
    public async Task A_failed_call_is_reported_with_zero_headers()
    {
        var upstreams = new FakeUpstreams(_ => throw new HttpRequestException("connection refused"));
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(AuthFilter(wat, "auth")), new PluginConfiguration { Name = "auth" }, upstreams);
        var host = new RecordingStreamHost();
        using var stream = plugin.CreateHttpStream(host);

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        await host.FirstContinue.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, _host.Gauge("response_headers"));
        Assert.Contains(_host.Logs.Messages, m => m.Contains("connection refused", StringComparison.Ordinal));
    }

    [Fact]
    public void Calls_to_unknown_clusters_are_refused_with_bad_argument()
    {
        var upstreams = new FakeUpstreams(_ => throw new InvalidOperationException("must not be called"));
        var wat = new Wat();
        using var plugin = _host.Start(wat.Module(AuthFilter(wat, "nowhere")), new PluginConfiguration { Name = "auth" }, upstreams);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(2, _host.Gauge("dispatch"));
        Assert.Empty(upstreams.Calls);
    }

    [Fact]
    public void A_grpc_call_with_no_cluster_to_send_it_to_is_refused_as_envoy_refuses_an_unknown_cluster()
    {
        // The Rust SDK panics on UNIMPLEMENTED, which this host used to answer; Envoy answers PARSE_FAILURE.
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("grpc", $"(call $proxy_grpc_call {wat.Str("auth")} {wat.Str("svc")} {wat.Str("Check")} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 16))")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(4, _host.Gauge("grpc"));
    }

    public void Dispose() => _host.Dispose();
}
