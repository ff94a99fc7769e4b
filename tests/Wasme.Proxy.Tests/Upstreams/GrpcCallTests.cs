using System.Net;
using System.Text;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Upstreams;

/// <summary>
/// Filters' gRPC calls and streams through <c>wasme run</c>'s data plane to a real Kestrel gRPC service over h2c,
/// answered as Envoy answers them (issue 16, point 6).
/// </summary>
public sealed class GrpcCallTests
{
    private static async Task<(WasmProxy Proxy, GrpcEchoServer Server)> StartAsync(string module, Uri? clusterUrl = null)
    {
        var server = await GrpcEchoServer.StartAsync();
        var clusters = new Dictionary<string, Uri> { ["echo"] = clusterUrl ?? server.Url };
        // One VM, so a second request reaches the VM holding the first one's call.
        var proxy = await WasmProxy.StartAsync(null, [(Wasmtime.Module.ConvertText(module), new PluginConfiguration { Name = "grpc", Workers = 1 })], clusters);
        return (proxy, server);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(WasmProxy proxy, string method, string? header = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("x-method", method);
        if (header is not null)
        {
            request.Headers.Add(header, "1");
        }

        using var response = await proxy.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static long? Gauge(WasmProxy proxy, string name)
        => proxy.Filters.Runtime.GetMetrics().Where(m => m.Name == name).Select(m => (long?)m.Value).FirstOrDefault();

    private static byte[] Cluster(string name) => Encoding.UTF8.GetBytes(name);

    [Fact]
    public async Task A_unary_call_carries_its_metadata_and_its_answer_reaches_proxy_on_grpc_receive_alone()
    {
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Unary, Cluster("echo")));
        await using var _ = server;
        await using var __ = proxy;

        var (status, body) = await SendAsync(proxy, "Say");

        Assert.Equal(HttpStatusCode.OK, status);
        // Envoy's unary client reports only the message: no metadata callbacks, no close on success.
        Assert.Equal("M:secret|echo|-|hello;", body);
        Assert.Equal(0, Gauge(proxy, "call_status"));
        Assert.Null(Gauge(proxy, "close_status"));
    }

    [Fact]
    public async Task A_serialized_grpc_service_names_the_cluster_authority_and_extra_metadata()
    {
        var service = GrpcFilters.GrpcService("echo", "echo.internal", ("x-from-service", "yes"));
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Unary, service));
        await using var _ = server;
        await using var __ = proxy;

        var (_, body) = await SendAsync(proxy, "Say");

        Assert.Equal("M:secret|echo.internal|yes|hello;", body);
    }

    [Theory]
    [InlineData("Fail", 7, "C:" + GrpcEchoServer.FailMessage + ";")]
    [InlineData("Empty", 13, "C:;")] // OK without a message is a failed unary call to Envoy
    [InlineData("Missing", 12, "C:Method is unimplemented.;")]
    public async Task A_failed_unary_call_reaches_proxy_on_grpc_close_with_its_status_and_message(string method, int code, string expected)
    {
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Unary, Cluster("echo")));
        await using var _ = server;
        await using var __ = proxy;

        var (_, body) = await SendAsync(proxy, method);

        Assert.Equal(code, Gauge(proxy, "close_status"));
        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task A_call_past_its_timeout_closes_with_deadline_exceeded()
    {
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Unary, Cluster("echo"), timeoutMilliseconds: 200));
        await using var _ = server;
        await using var __ = proxy;

        await SendAsync(proxy, "Hang");

        Assert.Equal(GrpcStatusCode.DeadlineExceeded, Gauge(proxy, "close_status"));
    }

    [Fact]
    public async Task A_cluster_with_nothing_listening_closes_with_unavailable()
    {
        using var closed = new Wasme.Testing.Http.RefusingPort();
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Unary, Cluster("echo")), new Uri($"http://{closed.Endpoint}"));
        await using var _ = server;
        await using var __ = proxy;

        var (_, body) = await SendAsync(proxy, "Say");

        Assert.Equal(GrpcStatusCode.Unavailable, Gauge(proxy, "close_status"));
        Assert.StartsWith("C:upstream connect error", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 4)] // a plain cluster name Envoy does not know: PARSE_FAILURE
    [InlineData(true, 10)] // a GrpcService naming an unknown cluster: INTERNAL_FAILURE ("Cluster not available")
    public async Task A_call_to_an_unknown_cluster_is_refused_as_envoy_refuses_it(bool serviceForm, int expected)
    {
        var upstream = serviceForm ? GrpcFilters.GrpcService("nowhere") : Cluster("nowhere");
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Unary, upstream));
        await using var _ = server;
        await using var __ = proxy;

        var (status, _) = await SendAsync(proxy, "Say");

        Assert.Equal(expected, Gauge(proxy, "call_status"));
        Assert.Equal(HttpStatusCode.OK, status); // the filter let the request through to the (echo) upstream
    }

    [Fact]
    public async Task A_stream_delivers_initial_metadata_each_message_trailers_and_close_after_the_filter_half_closes()
    {
        var (proxy, server) = await StartAsync(GrpcFilters.Module(GrpcFilters.Mode.Stream, Cluster("echo")));
        await using var _ = server;
        await using var __ = proxy;

        var (_, body) = await SendAsync(proxy, "Chat");

        // The filter sees the response headers as Envoy hands them on, content-type included.
        Assert.Equal("I:kestrel;application/grpc;M:chat:one;M:chat:two;T:t2;C:;", body);
        Assert.Equal(0, Gauge(proxy, "close_status"));
    }

    [Theory]
    [InlineData(GrpcFilters.Mode.CancelledUnary, "Hang")]
    [InlineData(GrpcFilters.Mode.CancelledStream, "ChatHang")]
    public async Task A_cancelled_call_is_reset_upstream_and_never_reported_to_the_filter(GrpcFilters.Mode mode, string method)
    {
        var (proxy, server) = await StartAsync(GrpcFilters.Module(mode, Cluster("echo")));
        await using var _ = server;
        await using var __ = proxy;

        var (opened, _) = await SendAsync(proxy, method);
        await server.Service.Started.WaitAsync(TimeSpan.FromSeconds(30));
        var (cancelling, _) = await SendAsync(proxy, method, "x-cancel");
        await server.Service.Cancelled.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (opened, cancelling));
        Assert.Equal(0, Gauge(proxy, "cancel_status"));
        Assert.Null(Gauge(proxy, "callbacks"));
    }
}
