using System.Net;
using System.Net.Sockets;

namespace Wasme.Testing.Http;

/// <summary>
/// A loopback port that refuses connections for as long as this lives: a socket bound to port 0 that never listens.
/// A port found free and released again could be taken by another process (test suites run in parallel) and then
/// accept the connection the test expects to be refused; a bound port cannot be taken.
/// </summary>
public sealed class RefusingPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint Endpoint { get; }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Url => new($"http://{Endpoint}/");

    public void Dispose() => _socket.Dispose();
}
