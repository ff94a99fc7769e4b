using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wasme.Cache.Http;

/// <summary>Kestrel hosting the cache endpoints on <see cref="CacheOptions.Listen"/>.</summary>
public sealed class CacheHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CacheHttpServer(WebApplication app) => _app = app;

    /// <summary>The address actually bound (resolves port 0).</summary>
    public Uri Address { get; private set; } = null!;

    public static async Task<CacheHttpServer> StartAsync(CacheServices services, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
        // ASP.NET Core logs four Information lines per request; on the module hit path they cost more
        // than serving the module and flood the node's logs. Its warnings and errors still come through.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // A failed start (a port in use) is thrown to the daemon, which reports it in one line with the fix; the
        // host's own "Hosting failed to start" record would repeat it as a stack trace in the node's logs.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var listen = services.Options.Listen;
            var address = listen.Host is "0.0.0.0" or "*" or "+" ? IPAddress.Any
                : listen.Host is "[::]" ? IPAddress.IPv6Any
                : listen.IsLoopback && !IPAddress.TryParse(listen.Host, out _) ? IPAddress.Loopback
                : IPAddress.Parse(listen.Host.Trim('[', ']'));
            // Module hits go out by sendfile; every other request (and each connection after one) is Kestrel's.
            var hits = new SendfileHits(services, kestrel.Limits.KeepAliveTimeout, kestrel.Limits.MinResponseDataRate);
            kestrel.Listen(address, listen.Port, listenOptions => listenOptions.Use(next => connection => hits.OnConnectionAsync(connection, next)));
        });

        var app = builder.Build();
        app.MapCacheEndpoints(services);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CacheHttpServer(app) { Address = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)) };
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>Hands the web host's loggers to the daemon's factory, so its filters apply first; owns nothing.</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory loggerFactory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggerFactory.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
