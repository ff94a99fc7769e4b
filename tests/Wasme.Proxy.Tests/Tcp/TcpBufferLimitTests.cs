using System.Net.Sockets;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Tcp;

/// <summary>
/// A network filter that pauses until it has a whole line cannot be made to hold whatever a client sends: past the
/// connection's buffer limit (Envoy's per_connection_buffer_limit_bytes) the connection is closed.
/// </summary>
public sealed class TcpBufferLimitTests
{
    [Fact]
    public async Task A_client_that_never_ends_its_line_is_cut_off_at_the_buffer_limit_and_the_filter_hears_the_close()
    {
        await using var upstream = new TcpEchoUpstream();
        using var filters = new WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, TimeProvider.System);
        filters.AddNetwork(Wasmtime.Module.ConvertText(NetworkFilters.LineFilter()), new PluginConfiguration { Name = "lines" });
        await using var server = TcpProxyServer.Start(
            new TcpProxyOptions { Listen = new(System.Net.IPAddress.Loopback, 0), Upstream = upstream.Endpoint, BufferLimit = 64 * 1024 },
            filters.NetworkPlugins,
            TestLogging.Factory,
            TimeProvider.System);
        using var client = new TcpClient();
        await client.ConnectAsync(server.ListenEndpoint);
        var stream = client.GetStream();

        // 256 KiB with no newline, the client's side left open: the line filter keeps pausing for the rest of the line.
        var line = new byte[256 * 1024];
        Array.Fill(line, (byte)'a');
        _ = stream.WriteAsync(line).AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
        // Guards a regression from hanging the run: without the limit the proxy holds the connection open for ever.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ended = await ReadUntilEndAsync(stream, guard.Token);

        Assert.True(ended, "the proxy kept holding the client's bytes instead of closing the connection");
        for (var i = 0; i < 1000 && server.ActiveConnections > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, server.ActiveConnections);
        Assert.Equal("", upstream.Received);
        Assert.Equal(1, Metric(filters, "downstream_close_peer")); // closed by the proxy: local
        Assert.Equal(1, Metric(filters, "connections_logged"));
    }

    private static long? Metric(WasmFilterSet filters, string name) =>
        filters.Runtime.GetMetrics().FirstOrDefault(m => m.Name == name)?.Value;

    private static async Task<bool> ReadUntilEndAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true; // reset: closed too
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
