using System.Net;
using System.Net.Sockets;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Tcp;

/// <summary>
/// Each direction of a TCP connection flows on its own, as in Envoy's tcp_proxy: an upstream that is busy writing (and
/// so not reading) must not stop the proxy from reading what it writes, or a client that reads and writes at once
/// waits for ever.
/// </summary>
public sealed class TcpFullDuplexTests
{
    private const int ClientBytes = 16 * 1024 * 1024;
    private const int Amplification = 4;

    [Fact]
    public async Task An_upstream_that_answers_more_than_it_reads_does_not_stall_a_client_that_reads_while_it_writes()
    {
        using var upstreamListener = new TcpListener(IPAddress.Loopback, 0);
        // A small receive window on the upstream side fills sooner: the stall shows with less data.
        upstreamListener.Server.ReceiveBufferSize = 64 * 1024;
        upstreamListener.Start();
        var upstreamRead = Task.Run(async () =>
        {
            using var peer = await upstreamListener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            var buffer = new byte[64 * 1024];
            var answer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                total += read;
                // Answers each byte it reads with more bytes, writing before it reads again (as a blocking server does).
                for (var i = 0; i < Amplification; i++)
                {
                    await stream.WriteAsync(answer.AsMemory(0, read));
                }
            }

            peer.Client.Shutdown(SocketShutdown.Send);
            return total;
        });

        using var filters = new WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, TimeProvider.System);
        filters.AddNetwork(Wasmtime.Module.ConvertText(new Wat().Module("")), new PluginConfiguration { Name = "pass" });
        await using var server = TcpProxyServer.Start(
            new TcpProxyOptions { Listen = new(IPAddress.Loopback, 0), Upstream = (IPEndPoint)upstreamListener.LocalEndpoint },
            filters.NetworkPlugins,
            TestLogging.Factory,
            TimeProvider.System);
        using var client = new TcpClient();
        await client.ConnectAsync(server.ListenEndpoint);
        var clientStream = client.GetStream();
        // Guards a regression from hanging the run: with the stall neither side moves again.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[256 * 1024];
            long total = 0;
            int read;
            while ((read = await clientStream.ReadAsync(buffer, guard.Token)) > 0)
            {
                total += read;
            }

            return total;
        });

        var chunk = new byte[64 * 1024];
        long sent = 0;
        try
        {
            while (sent < ClientBytes)
            {
                await clientStream.WriteAsync(chunk, guard.Token);
                sent += chunk.Length;
            }

            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (OperationCanceledException)
        {
        }

        Assert.True(sent == ClientBytes, $"the proxy stopped reading the client after {sent} of {ClientBytes} bytes: both directions stalled");
        Assert.Equal(ClientBytes, await upstreamRead.WaitAsync(guard.Token));
        Assert.Equal((long)ClientBytes * Amplification, await reading.WaitAsync(guard.Token));
    }
}
