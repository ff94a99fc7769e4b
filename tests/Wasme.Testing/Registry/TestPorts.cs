using System.Net;
using System.Net.Sockets;

namespace Wasme.Testing.Registry;

internal static class TestPorts
{
    /// <summary>A port the kernel just handed out on 127.0.0.1 (released again for the child process to bind).</summary>
    public static int GetFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
