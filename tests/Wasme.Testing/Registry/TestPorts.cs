using System.Net;
using System.Net.Sockets;

namespace Wasme.Testing.Registry;

internal static class TestPorts
{
    /// <summary>A port the kernel just handed out on the address (127.0.0.1 by default), released again for the child process to bind.</summary>
    public static int GetFree(IPAddress? address = null)
    {
        using var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
