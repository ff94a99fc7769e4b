using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Tcp;

/// <summary>
/// What a client can hold open is bounded, as Envoy bounds it: tcp_proxy's idle timeout closes a connection that moves
/// no bytes, and connections past the limit are closed as they arrive.
/// </summary>
public sealed class TcpLimitsTests
{
    [Fact]
    public async Task A_connection_that_moves_no_bytes_for_the_idle_timeout_is_closed()
    {
        await using var upstream = new TcpEchoUpstream();
        var clock = new FakeTimeProvider();
        await using var server = TcpProxyServer.Start(Options(upstream) with { IdleTimeout = TimeSpan.FromHours(1) }, [], TestLogging.Factory, clock);
        using var client = new TcpClient();
        await client.ConnectAsync(server.ListenEndpoint);
        var stream = client.GetStream();
        Assert.Equal("ping\n", await EchoAsync(stream, "ping\n"));

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ended = EndsAsync(stream);
        await clock.AdvanceUntilAsync(TimeSpan.FromHours(1), ended, guard.Token);

        Assert.True(await ended, "the idle connection was kept open");
        await WaitClosedAsync(server);
    }

    [Fact]
    public async Task A_client_that_never_reads_what_the_upstream_floods_is_closed_at_the_idle_timeout()
    {
        using var flood = new TcpListener(IPAddress.Loopback, 0);
        flood.Start();
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flooding = Task.Run(async () =>
        {
            using var peer = await flood.AcceptTcpClientAsync();
            connected.SetResult();
            var chunk = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    await peer.GetStream().WriteAsync(chunk);
                }
            }
            catch (IOException)
            {
                // The proxy closed the upstream connection.
            }
        });
        var clock = new FakeTimeProvider();
        await using var server = TcpProxyServer.Start(
            new TcpProxyOptions { Listen = new(IPAddress.Loopback, 0), Upstream = (IPEndPoint)flood.LocalEndpoint, IdleTimeout = TimeSpan.FromMinutes(5) },
            [],
            TestLogging.Factory,
            clock);
        using var client = new TcpClient { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.ListenEndpoint);
        await client.GetStream().WriteAsync("go"u8.ToArray());
        // Bounded so that a regression fails instead of hanging the run.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await connected.Task.WaitAsync(guard.Token);
        // The first bytes through show the upstream is connected and the proxy is relaying; then the client reads no more.
        await client.GetStream().ReadExactlyAsync(new byte[1], guard.Token);

        // Bytes keep moving until the client's buffers fill, and each move restarts the idle timer (just after the send
        // returns, which can be after the test has seen them).
        await clock.AdvanceUntilAsync(TimeSpan.FromMinutes(5), flooding, guard.Token);

        await WaitClosedAsync(server);
    }

    [Fact]
    public async Task Connections_past_the_limit_are_closed_as_they_arrive_and_accepted_again_once_one_ends()
    {
        await using var upstream = new TcpEchoUpstream();
        await using var server = TcpProxyServer.Start(Options(upstream) with { MaxConnections = 2 }, [], TestLogging.Factory, TimeProvider.System);
        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(server.ListenEndpoint);
        await second.ConnectAsync(server.ListenEndpoint);
        var firstStream = first.GetStream();
        Assert.Equal("a\n", await EchoAsync(firstStream, "a\n"));
        Assert.Equal("b\n", await EchoAsync(second.GetStream(), "b\n"));

        using var third = new TcpClient();
        await third.ConnectAsync(server.ListenEndpoint);
        var thirdEnded = await EndsAsync(third.GetStream());
        first.Client.Shutdown(SocketShutdown.Send);
        Assert.True(await EndsAsync(firstStream));
        for (var i = 0; i < 1000 && server.ActiveConnections > 1; i++)
        {
            await Task.Delay(10);
        }

        using var fourth = new TcpClient();
        await fourth.ConnectAsync(server.ListenEndpoint);

        Assert.True(thirdEnded, "a connection past the limit was kept");
        Assert.Equal("d\n", await EchoAsync(fourth.GetStream(), "d\n"));
        Assert.Equal("a\nb\nd\n".Length, upstream.Received.Length);
    }

    [Fact]
    public async Task Connections_to_an_upstream_that_refuses_them_all_end_and_none_is_counted_as_open()
    {
        using var closed = new Wasme.Testing.Http.RefusingPort();
        var refusing = closed.Endpoint;
        await using var server = TcpProxyServer.Start(
            new TcpProxyOptions { Listen = new(IPAddress.Loopback, 0), Upstream = refusing },
            [],
            TestLogging.Factory,
            TimeProvider.System);

        var clients = new List<TcpClient>();
        for (var i = 0; i < 200; i++)
        {
            var client = new TcpClient();
            await client.ConnectAsync(server.ListenEndpoint);
            clients.Add(client);
        }

        foreach (var client in clients)
        {
            Assert.True(await EndsAsync(client.GetStream()));
            client.Dispose();
        }

        await WaitClosedAsync(server);
    }

    [Theory]
    [InlineData(0, "--tcp-max-connections 0 must be at least 1")]
    [InlineData(-1, "--tcp-max-connections -1 must be at least 1")]
    public void A_limit_below_one_is_refused_naming_the_flag(int max, string message)
    {
        var options = new TcpProxyOptions { Listen = new(IPAddress.Loopback, 0), Upstream = new IPEndPoint(IPAddress.Loopback, 1), MaxConnections = max };

        Assert.Contains(options.Validate(), problem => problem.StartsWith(message, StringComparison.Ordinal));
    }

    private static TcpProxyOptions Options(TcpEchoUpstream upstream) => new() { Listen = new(IPAddress.Loopback, 0), Upstream = upstream.Endpoint };

    private static async Task<string> EchoAsync(NetworkStream stream, string line)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line));
        var buffer = new byte[line.Length];
        await stream.ReadExactlyAsync(buffer);
        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>True when the proxy ends or resets the connection; false if it is still open after a generous bound.</summary>
    private static async Task<bool> EndsAsync(NetworkStream stream)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, guard.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task WaitClosedAsync(TcpProxyServer server)
    {
        for (var i = 0; i < 1000 && server.ActiveConnections > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, server.ActiveConnections);
    }
}
