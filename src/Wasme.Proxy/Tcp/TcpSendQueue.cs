using System.Net.Sockets;

namespace Wasme.Proxy.Tcp;

/// <summary>
/// Sends one direction's bytes, then its half close, in the order they were queued, outside the connection's gate: a
/// peer that does not read then holds back only the direction towards it, as Envoy's tcp_proxy stops reading just the
/// other side of a full write buffer. Sent under the gate, an upstream busy writing to the proxy (and so not reading)
/// would keep the proxy from reading it, and neither would move again.
/// </summary>
internal sealed class TcpSendQueue(Socket socket, Action sent, Action failed, CancellationToken cancellationToken)
{
    private Task _tail = Task.CompletedTask;
    private bool _failed;

    /// <summary>Completes once everything queued so far is sent, or sending failed; it never faults.</summary>
    public Task Drained => Volatile.Read(ref _tail);

    /// <summary>Queues a copy of <paramref name="bytes"/>. Called under the connection's gate only.</summary>
    public void Send(ReadOnlySpan<byte> bytes) => Volatile.Write(ref _tail, SendAfterAsync(_tail, bytes.ToArray(), shutdown: false));

    /// <summary>Queues the half close, after the bytes queued before it. Called under the connection's gate only.</summary>
    public void Shutdown() => Volatile.Write(ref _tail, SendAfterAsync(_tail, null, shutdown: true));

    private async Task SendAfterAsync(Task previous, byte[]? bytes, bool shutdown)
    {
        await previous;
        if (_failed)
        {
            return;
        }

        try
        {
            if (bytes is not null)
            {
                await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
                sent();
            }

            if (shutdown)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _failed = true;
            failed();
        }
    }
}
