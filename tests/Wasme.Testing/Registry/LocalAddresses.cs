using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Wasme.Testing.Registry;

/// <summary>Addresses of this machine, for tests that need a registry which is not on loopback.</summary>
public static class LocalAddresses
{
    /// <summary>An IPv4 address of an interface that is up and not loopback (wasme treats it as a remote host).</summary>
    public static IPAddress NonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? throw new InvalidOperationException("This test needs a network interface with a non-loopback IPv4 address (none is up).");
}
