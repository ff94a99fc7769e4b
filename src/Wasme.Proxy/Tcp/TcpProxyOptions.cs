using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Wasme.Proxy.Tcp;

/// <summary>A TCP listener whose connections go to one upstream through the network filters (Envoy's tcp_proxy).</summary>
public sealed record TcpProxyOptions
{
    /// <summary>Address the listener binds.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>Where each accepted connection is forwarded (a host name or an IP address, and a port).</summary>
    public required EndPoint Upstream { get; init; }

    /// <summary>Longest wait for the upstream to accept; then the client's connection is closed, as tcp_proxy's connect_timeout.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Most bytes of one direction the filters may hold (pausing it until more arrives); past it the connection is
    /// closed. 1 MiB, Envoy's <c>per_connection_buffer_limit_bytes</c>.
    /// </summary>
    public int BufferLimit { get; init; } = 1024 * 1024;

    /// <summary>Default <see cref="IdleTimeout"/>: tcp_proxy's <c>idle_timeout</c> default.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);

    /// <summary>Default <see cref="MaxConnections"/>: two file descriptors each stay well inside common limits (4096).</summary>
    public const int DefaultMaxConnections = 1024;

    /// <summary>
    /// Longest a connection may pass no bytes either way (client or upstream) before the proxy closes it, as tcp_proxy's
    /// <c>idle_timeout</c> (1 h by default); <see cref="TimeSpan.Zero"/> for none.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>
    /// Most connections open at once; a connection past it is closed as soon as it is accepted, before any filter sees
    /// it, as Envoy does past a listener's connection limit.
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>Every problem with the limits, each naming the flag; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (IdleTimeout < TimeSpan.Zero || IdleTimeout > Hosting.ProxyOptions.MaxStreamIdleTimeout)
        {
            problems.Add("--tcp-idle-timeout must be from 0 (none) to 49d, the longest a timer waits (for example 1h)");
        }

        if (MaxConnections < 1)
        {
            problems.Add($"--tcp-max-connections {MaxConnections} must be at least 1 (default {DefaultMaxConnections})");
        }

        return problems;
    }

    /// <summary>Parses <c>LISTEN=UPSTREAM</c>, for example <c>127.0.0.1:9000=127.0.0.1:6379</c> or <c>:9000=db.local:5432</c>.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out TcpProxyOptions? options, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        options = null;
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            error = $"'{text}' is not LISTEN=UPSTREAM (for example 127.0.0.1:9000=127.0.0.1:6379)";
            return false;
        }

        if (!Hosting.EndpointParser.TryParse(text[..equals], out var listen, out var listenError))
        {
            error = $"listen address: {listenError}";
            return false;
        }

        var upstream = text[(equals + 1)..];
        var colon = upstream.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(upstream.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"upstream '{upstream}' is not HOST:PORT with a port from 1 to 65535 (for example 127.0.0.1:6379)";
            return false;
        }

        var host = upstream[..colon].Trim('[', ']');
        EndPoint endpoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        options = new TcpProxyOptions { Listen = listen, Upstream = endpoint };
        error = null;
        return true;
    }
}
