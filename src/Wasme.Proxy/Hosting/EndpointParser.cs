using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Wasme.Proxy.Hosting;

/// <summary>Parses listen addresses the way users write them: <c>127.0.0.1:8080</c>, <c>[::1]:8080</c>, <c>localhost:8080</c>, <c>:8080</c>.</summary>
public static class EndpointParser
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        endpoint = null;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}' is not HOST:PORT with a port from 0 to 65535 (for example 127.0.0.1:8080)";
            return false;
        }

        var host = text[..colon];
        if (host.Length == 0 || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            endpoint = new IPEndPoint(IPAddress.Loopback, port);
        }
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            endpoint = new IPEndPoint(address, port);
        }
        else
        {
            error = $"'{host}' in '{text}' is not an IP address or localhost (for example 127.0.0.1:8080)";
            return false;
        }

        error = null;
        return true;
    }
}
