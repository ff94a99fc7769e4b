using System.Net.Sockets;
using System.Text;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Tcp;

/// <summary>
/// Network (TCP) filters through a real TCP upstream, as Envoy's network Wasm filter runs them (issue 16 point 5).
/// The filter follows the C++ SDK's network example: it reads DOWNSTREAM_DATA/UPSTREAM_DATA with
/// proxy_get_buffer_bytes, rewrites them with proxy_set_buffer_bytes, pauses a direction until it has what it needs,
/// and closes the connection with proxy_close_stream.
/// </summary>
public sealed class TcpFilterTests
{
    private static byte[] LineFilter()
    {
        var wat = new Wat();
        return Wasmtime.Module.ConvertText(wat.Module($$"""
            (func (export "proxy_on_new_connection") (param i32) (result i32)
              {{wat.Log("new connection")}}
              (i32.const 0))
            (func (export "proxy_on_downstream_data") (param $context i32) (param $size i32) (param $end i32) (result i32)
              (local $data i32)
              (if (i32.eqz (local.get $size)) (then (return (i32.const 0))))
              (drop (call $proxy_get_buffer_bytes (i32.const 2) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
              (local.set $data (i32.load (i32.const 0)))
              ;; a client that starts with 'd' (deny) is cut off
              (if (i32.eq (i32.load8_u (local.get $data)) (i32.const 100))
                (then
                  (drop (call $proxy_close_stream (i32.const 2)))
                  (return (i32.const 1))))
              ;; hold the bytes until a whole line (or the client's end) is there
              (if (i32.and (i32.eqz (local.get $end))
                           (i32.ne (i32.load8_u (i32.add (local.get $data) (i32.sub (local.get $size) (i32.const 1)))) (i32.const 10)))
                (then (return (i32.const 1))))
              (drop (call $proxy_set_buffer_bytes (i32.const 2) (i32.const 0) (i32.const 0) {{wat.Str("> ")}}))
              (i32.const 0))
            (func (export "proxy_on_upstream_data") (param $context i32) (param $size i32) (param $end i32) (result i32)
              ;; hold the whole answer until the upstream ends, then mark its end
              (if (i32.eqz (local.get $end)) (then (return (i32.const 1))))
              (drop (call $proxy_set_buffer_bytes (i32.const 3) (local.get $size) (i32.const 0) {{wat.Str("!")}}))
              (i32.const 0))
            (func (export "proxy_on_downstream_connection_close") (param i32) (param $peer i32)
              {{wat.Record("downstream_close_peer", "(local.get $peer)")}})
            (func (export "proxy_on_upstream_connection_close") (param i32) (param $peer i32)
              {{wat.Record("upstream_close_peer", "(i32.add (local.get $peer) (i32.const 10))")}})
            (func (export "proxy_on_log") (param i32)
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("connections_logged")}} (i32.const 244)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 244)) (i64.const 1))))
            """));
    }

    private static (WasmFilterSet Filters, TcpProxyServer Server) Start(TcpEchoUpstream upstream)
    {
        var filters = new WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, TimeProvider.System);
        filters.AddNetwork(LineFilter(), new PluginConfiguration { Name = "lines" });
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
}
