using System.Threading.Channels;
using Wasme.ProxyWasm.Grpc;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// The host side of gRPC: how the <c>upstream</c> argument is read, and AssemblyScript proxy-runtime's shorter imports
/// (Kestrel-backed calls are in Wasme.Proxy.Tests).
/// </summary>
public sealed class GrpcHostTests : IDisposable
{
    private readonly HostHarness _host = new();

    /// <summary>Answers every call at once with one message and status OK, and records what it was asked.</summary>
    private sealed class AnsweringUpstream : IHttpCallDispatcher, IGrpcCallDispatcher
    {
        public List<GrpcCallRequest> Requests { get; } = [];

        public bool HasCluster(string cluster) => false;

        public Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public bool HasGrpcCluster(string cluster) => cluster == "auth";

        public IGrpcCall StartGrpcCall(GrpcCallRequest request)
        {
            lock (Requests)
            {
                Requests.Add(request);
            }

            return new Answered();
        }

        private sealed class Answered : IGrpcCall
        {
            private readonly Channel<GrpcCallEvent> _events = Channel.CreateUnbounded<GrpcCallEvent>();

            public ChannelReader<GrpcCallEvent> Events => _events.Reader;

            public bool TrySend(ReadOnlyMemory<byte> message) => true;

            public void CloseSend()
            {
                var trailers = new HeaderMap();
                trailers.Add("x-trailer", "t");
                _events.Writer.TryWrite(new GrpcInitialMetadataReceived(new HeaderMap()));
                _events.Writer.TryWrite(new GrpcMessageReceived("ok"u8.ToArray()));
                _events.Writer.TryWrite(new GrpcTrailingMetadataReceived(trailers));
                _events.Writer.TryWrite(new GrpcClosed(GrpcStatusCode.Ok, string.Empty));
                _events.Writer.TryComplete();
            }

            public void Cancel() => _events.Writer.TryComplete();
        }
    }

    [Fact]
    public void A_plain_cluster_name_is_not_a_grpc_service_message()
    {
        var target = GrpcServiceTarget.Read("outbound|50051||authz.default.svc.cluster.local"u8);

        Assert.False(target.IsServiceMessage);
        Assert.Equal("outbound|50051||authz.default.svc.cluster.local", target.Cluster);
    }

    [Fact]
    public void A_grpc_service_gives_its_envoy_cluster_authority_and_metadata_and_skips_fields_it_does_not_use()
    {
        // GrpcService{envoy_grpc{cluster_name: "authz", authority: "authz.local"}, timeout{seconds: 1}, initial_metadata{key: "k", value: "v"}}
        byte[] message = [0x0A, 0x14, 0x0A, 0x05, .. "authz"u8, 0x12, 0x0B, .. "authz.local"u8, 0x1A, 0x02, 0x08, 0x01, 0x2A, 0x06, 0x0A, 0x01, (byte)'k', 0x12, 0x01, (byte)'v'];

        var target = GrpcServiceTarget.Read(message);

        Assert.True(target.IsServiceMessage);
        Assert.Equal(("authz", "authz.local", false), (target.Cluster, target.Authority, target.HasGoogleGrpc));
        Assert.Equal([new KeyValuePair<string, string>("k", "v")], target.InitialMetadata);
    }

    [Fact]
    public void A_google_grpc_service_names_no_envoy_cluster()
    {
        // GrpcService{google_grpc{target_uri: "x:1"}}
        var target = GrpcServiceTarget.Read([0x12, 0x05, 0x0A, 0x03, .. "x:1"u8]);

        Assert.True(target.IsServiceMessage);
        Assert.True(target.HasGoogleGrpc);
        Assert.Null(target.Cluster);
    }

    [Fact]
    public async Task AssemblyScripts_ten_and_seven_parameter_imports_open_calls_and_streams_and_its_trailing_metadata_callback_is_called()
    {
        var wat = new Wat();
        var imports = Wat.EnvImports.Replace(
            """(import "env" "proxy_grpc_call" (func $proxy_grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))""",
            """
            (import "env" "proxy_grpc_call" (func $proxy_grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
            (import "env" "proxy_grpc_stream" (func $proxy_grpc_stream (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
            (import "env" "proxy_grpc_close" (func $proxy_grpc_close (param i32) (result i32)))
            """,
            StringComparison.Ordinal);
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{wat.Record("call", $"(call $proxy_grpc_call {wat.Str("auth")} {wat.Str("svc")} {wat.Str("Check")} {wat.Str("req")} (i32.const 1000) (i32.const 16))")}}
              {{wat.Record("stream", $"(call $proxy_grpc_stream {wat.Str("auth")} {wat.Str("svc")} {wat.Str("Watch")} (i32.const 20))")}}
              {{wat.Record("close", "(call $proxy_grpc_close (i32.load (i32.const 20)))")}}
              (i32.const 0))
            (func (export "proxy_on_grpc_receive") (param i32) (param $token i32) (param $size i32)
              {{wat.Record("received", "(local.get $size)")}})
            (func (export "proxy_on_grpc_trailing_metadata") (param i32) (param $token i32) (param $count i32)
              {{wat.Record("trailers", "(local.get $count)")}})
            """, imports);
        var upstream = new AnsweringUpstream();
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "as" }, upstream);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!_host.Runtime.GetMetrics().Any(m => m.Name == "trailers"))
        {
            await Task.Delay(10, patience.Token);
        }

        Assert.Equal((0, 0, 0), (_host.Gauge("call"), _host.Gauge("stream"), _host.Gauge("close")));
        Assert.Equal(1, _host.Gauge("trailers"));
        Assert.Equal(["Check", "Watch"], upstream.Requests.Select(r => r.Method).Order());
        Assert.All(upstream.Requests, r => Assert.Equal(0, r.InitialMetadata.Count));
        Assert.Equal(2, _host.Gauge("received"));
    }

    public void Dispose() => _host.Dispose();
}
