using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>Answers every connection with fixed bytes once the request head has arrived, then closes it.</summary>
public sealed class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _accepting;

    private RawUpstream(TcpListener listener, byte[] answer)
    {
        _listener = listener;
        _accepting = AcceptAsync(answer);
    }

    public Uri Url => new($"http://{_listener.LocalEndpoint}/");

    public static RawUpstream Start(string answer)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new RawUpstream(listener, Encoding.ASCII.GetBytes(answer));
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Stopped while accepting.
        }
    }

    private async Task AcceptAsync(byte[] answer)
    {
        while (true)
        {
            using var client = await _listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var head = new List<byte>();
            var buffer = new byte[4096];
            while (!EndsWithBlankLine(head))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                head.AddRange(buffer.AsSpan(0, read));
            }

            await stream.WriteAsync(answer);
        }
    }

    private static bool EndsWithBlankLine(List<byte> head) =>
        head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n';
}
