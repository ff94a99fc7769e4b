using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Admin;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Hosting;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>A <see cref="ProxyServer"/> on 127.0.0.1:0 with a client pointed at it.</summary>
public sealed class RunningProxy : IAsyncDisposable
{
    private RunningProxy(ProxyServer server)
    {
        Server = server;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://{server.ListenEndpoint}/"),
        };
    }

    public ProxyServer Server { get; }

    public HttpClient Client { get; }

    public Uri AdminUrl => new($"http://{Server.AdminEndpoint}/");

    public static async Task<RunningProxy> StartAsync(Uri? upstream, IReadOnlyList<IHttpFilterFactory> filters, Func<ProxyOptions, ProxyOptions>? configure = null, IReadOnlyList<IFilterMetricsSource>? metrics = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        var options = new ProxyOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Upstream = upstream,
            EchoUpstream = upstream is null,
            Admin = new IPEndPoint(IPAddress.Loopback, 0),
        };
        options = configure?.Invoke(options) ?? options;
        var server = await ProxyServer.StartAsync(options, filters, metrics ?? [], loggerFactory ?? TestLogging.Factory, timeProvider ?? TimeProvider.System, CancellationToken.None);
        return new RunningProxy(server);
    }

    /// <summary>
    /// Sends one request as raw bytes (HTTP/1.1 requests get <c>Connection: close</c>) and reads until the proxy closes
    /// the connection: for requests HttpClient would refuse to send or would reshape.
    /// </summary>
    public async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(Server.ListenEndpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n", StringComparison.Ordinal)));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
