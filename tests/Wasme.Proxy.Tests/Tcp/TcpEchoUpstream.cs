using System.Net;
using System.Net.Sockets;

namespace Wasme.Proxy.Tests.Tcp;

/// <summary>A real TCP upstream on loopback: echoes what each connection sends, and ends its side when the client ends its own.</summary>
internal sealed class TcpEchoUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<byte> _received = [];
    private readonly Task _accept;
    private int _connections;

    public TcpEchoUpstream()
    {
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every byte any connection sent, in arrival order.</summary>
    public string Received
    {
        get
        {
            lock (_received)
            {
                return System.Text.Encoding.UTF8.GetString([.. _received]);
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => EchoAsync(client));
        }
    }

    private async Task EchoAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, _stopping.Token)) > 0)
                {
                    lock (_received)
                    {
                        _received.AddRange(buffer.AsSpan(0, read));
                    }

                    await stream.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
                }

                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // The proxy closed the connection.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accept;
        _stopping.Dispose();
    }
}
