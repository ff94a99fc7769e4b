using System.Net.Sockets;
using System.Text;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Tcp;

/// <summary>Network (TCP) filters through a real TCP upstream, as Envoy's network Wasm filter runs them (issue 16 point 5).</summary>
public sealed class TcpFilterTests
{
    private static (WasmFilterSet Filters, TcpProxyServer Server) Start(TcpEchoUpstream upstream, string? wat = null, FailurePolicy policy = FailurePolicy.FailClosed)
    {
        var filters = new WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, TimeProvider.System);
        filters.AddNetwork(Wasmtime.Module.ConvertText(wat ?? NetworkFilters.LineFilter()), new PluginConfiguration { Name = "lines", FailurePolicy = policy });
        var server = TcpProxyServer.Start(
            new TcpProxyOptions { Listen = new(System.Net.IPAddress.Loopback, 0), Upstream = upstream.Endpoint },
            filters.NetworkPlugins,
            TestLogging.Factory,
            TimeProvider.System);
        return (filters, server);
    }

    private static long? Metric(WasmFilterSet filters, string name) =>
        filters.Runtime.GetMetrics().FirstOrDefault(m => m.Name == name)?.Value;

    /// <summary>Closing happens after the client sees the end; wait for the filter's close callbacks.</summary>
    private static async Task WaitClosedAsync(TcpProxyServer server)
    {
        for (var i = 0; i < 1000 && server.ActiveConnections > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, server.ActiveConnections);
    }

    [Fact]
    public async Task Data_goes_through_the_filter_both_ways_with_paused_bytes_kept_and_close_callbacks_as_envoy()
    {
        await using var upstream = new TcpEchoUpstream();
        var (filters, server) = Start(upstream);
        using (filters)
        await using (server)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(server.ListenEndpoint);
            var stream = client.GetStream();
            // Two writes: the filter holds "hello " until the line is complete, then sees both as one buffer.
            await stream.WriteAsync("hello "u8.ToArray());
            await stream.FlushAsync();
            await stream.WriteAsync("world\n"u8.ToArray());
            client.Client.Shutdown(SocketShutdown.Send);

            using var reader = new StreamReader(stream, Encoding.UTF8);
            var answer = await reader.ReadToEndAsync();

            Assert.Equal("> hello world\n", upstream.Received);
            Assert.Equal("> hello world\n!", answer);
            await WaitClosedAsync(server);
            Assert.Equal(10, Metric(filters, "upstream_close_peer")); // the upstream's end: peer unknown
            Assert.Equal(1, Metric(filters, "downstream_close_peer")); // the proxy sent the last end: local
            Assert.Equal(1, Metric(filters, "connections_logged"));
        }
    }

    [Fact]
    public async Task A_filter_closing_the_downstream_cuts_the_client_off_before_anything_reaches_the_upstream()
    {
        await using var upstream = new TcpEchoUpstream();
        var (filters, server) = Start(upstream);
        using (filters)
        await using (server)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(server.ListenEndpoint);
            var stream = client.GetStream();
            await stream.WriteAsync("deny me\n"u8.ToArray());

            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer);

            Assert.Equal(0, read);
            await WaitClosedAsync(server);
            Assert.Equal(string.Empty, upstream.Received);
            Assert.Equal(1, Metric(filters, "downstream_close_peer"));
            Assert.Null(Metric(filters, "upstream_close_peer"));
            Assert.Equal(1, Metric(filters, "connections_logged"));
        }
    }

    [Theory]
    [InlineData(FailurePolicy.FailClosed, "", "")]
    [InlineData(FailurePolicy.FailOpen, "hi\n", "hi\n")]
    public async Task A_trapping_network_filter_closes_the_connection_or_is_bypassed_as_its_policy_says(FailurePolicy policy, string upstreamSees, string clientGets)
    {
        var wat = new Wat();
        var trapping = wat.Module("""
            (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32) unreachable)
            """);
        await using var upstream = new TcpEchoUpstream();
        var (filters, server) = Start(upstream, trapping, policy);
        using (filters)
        await using (server)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(server.ListenEndpoint);
            var stream = client.GetStream();
            await stream.WriteAsync("hi\n"u8.ToArray());
            client.Client.Shutdown(SocketShutdown.Send);

            var answer = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync();

            Assert.Equal(clientGets, answer);
            await WaitClosedAsync(server);
            Assert.Equal(upstreamSees, upstream.Received);
        }
    }
}
