using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wasme.Proxy.Hosting;

/// <summary>
/// The built-in echo upstream on its own loopback port. It starts before the proxy so the proxy's handler is built
/// with its address instead of learning it after the proxy already accepts requests.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<EchoServer> StartAsync(bool h2c, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Whatever the proxy in front of it takes, the echo takes too, with the headers the proxy and the filters add.
            EnvoyHeaderLimits.Apply(kestrel.Limits);
            kestrel.Limits.MaxRequestHeaderCount = 10 * EnvoyHeaderLimits.MaxHeadersCount;
            kestrel.Limits.MaxRequestHeadersTotalSize = 4 * EnvoyHeaderLimits.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestLineSize = 4 * EnvoyHeaderLimits.MaxRequestHeadersBytes;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = h2c ? HttpProtocols.Http2 : HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(EchoUpstream.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new EchoServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
