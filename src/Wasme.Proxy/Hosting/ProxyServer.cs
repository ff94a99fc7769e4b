using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Admin;
using Wasme.Proxy.Chain;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Forwarding;
using Yarp.ReverseProxy.Forwarder;

namespace Wasme.Proxy.Hosting;

/// <summary>
/// The local data plane: a Kestrel server that forwards to the upstream through the filter chain, with an optional
/// admin endpoint and an optional built-in echo upstream on their own loopback ports.
/// </summary>
public sealed partial class ProxyServer : IAsyncDisposable
{
    private static readonly object AdminConnection = new();
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _client;
    private readonly EchoServer? _echo;
    private readonly ProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private int _listening;

    private ProxyServer(WebApplication app, HttpMessageInvoker client, EchoServer? echo, ProxyMetrics metrics, ProxyOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _app = app;
        _client = client;
        _echo = echo;
        _options = options;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        Metrics = metrics;
    }

    /// <summary>Where the proxy accepts requests (with the real port when 0 was asked for).</summary>
    public IPEndPoint ListenEndpoint { get; private set; } = null!;

    /// <summary>Where the admin endpoint listens, or null.</summary>
    public IPEndPoint? AdminEndpoint { get; private set; }

    /// <summary>The upstream requests go to (the echo server's address with <see cref="ProxyOptions.EchoUpstream"/>).</summary>
    public required Uri Upstream { get; init; }

    public ProxyMetrics Metrics { get; }

    /// <summary>Validates the options, binds every port and starts serving.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="ProxyStartException">A port could not be bound.</exception>
    public static async Task<ProxyServer> StartAsync(
        ProxyOptions options,
        IReadOnlyList<IHttpFilterFactory> filters,
        IReadOnlyList<IFilterMetricsSource> metricsSources,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var server = await PrepareAsync(options, loggerFactory, timeProvider, cancellationToken);
        try
        {
            await server.ListenAsync(filters, metricsSources, cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Validates the options and builds the server (starting the echo upstream) without binding the proxy's ports, so a
    /// caller can do it while it loads the filters (most of a cold start is Kestrel's); then call <see cref="ListenAsync"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static async Task<ProxyServer> PrepareAsync(ProxyOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(options));
        }

        // The echo upstream starts first: the proxy's handler is then complete before the proxy accepts anything.
        var echo = options.EchoUpstream ? await EchoServer.StartAsync(options.H2c, cancellationToken) : null;
        var upstream = echo?.Url ?? options.Upstream!;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var openFiles = OpenFileBudget.ReadLimit();
        var maxConnections = OpenFileBudget.FitConnections(options.MaxConnections, openFiles);
        if (maxConnections < LowConnectionLimit)
        {
            LogConnectionLimit(loggerFactory.CreateLogger("Wasme.Proxy"), maxConnections, openFiles ?? 0);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // An absolute-form target's authority is the request's, whatever Host says, as Envoy takes it (RFC 9112 3.2.2);
            // Kestrel would answer 400 where they differ.
            kestrel.AllowHostHeaderOverride = true;
            // Header values are UTF-8 text to filters, and go out as the UTF-8 bytes they came in as (Envoy
            // passes such bytes through); Kestrel's default refuses anything outside ASCII.
            kestrel.RequestHeaderEncodingSelector = ConnectionHeaderEncoding.For;
            kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.UTF8;
            // Envoy streams a body of any size through filters that do not buffer it (--max-buffered-body bounds those
            // that do); Kestrel's default 30 MB cap would refuse larger uploads with a 413 no filter asked for.
            kestrel.Limits.MaxRequestBodySize = null;
            EnvoyHeaderLimits.Apply(kestrel.Limits);
            // Kestrel takes any number of connections (as Envoy does without a limit), but a process out of file
            // descriptors is ended by the runtime: past what ulimit -n allows, new connections are closed instead.
            var limit = maxConnections < int.MaxValue
                ? new HttpConnectionLimit(maxConnections, openFiles ?? 0, loggerFactory.CreateLogger("Wasme.Proxy"))
                : null;
            if (limit is not null)
            {
                kestrel.Limits.MaxConcurrentUpgradedConnections = maxConnections;
            }

            // Without TLS there is no ALPN to choose by, and Kestrel speaks HTTP/1.1 to every cleartext connection of an
            // HTTP/1-and-2 endpoint: HTTP/2 clients (gRPC) get an endpoint of their own with --h2c.
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = options.H2c ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
                if (limit is not null)
                {
                    listen.Use(limit.Apply);
                }
            });
            if (options.Admin is not null)
            {
                // Admin connections are marked as they are accepted, so routing never depends on a port learnt later.
                kestrel.Listen(options.Admin, listen =>
                {
                    if (limit is not null)
                    {
                        listen.Use(limit.Apply);
                    }

                    listen.Use(next => connection =>
                    {
                        connection.Items[AdminConnection] = AdminConnection;
                        return next(connection);
                    });
                });
            }
        });
        builder.Services.AddHttpForwarder();
        var app = builder.Build();

        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            // Trace headers pass through unchanged, as Envoy forwards them when it does not trace itself.
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
            ResponseHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        });
        return new ProxyServer(app, client, echo, new ProxyMetrics(), options, loggerFactory, timeProvider) { Upstream = upstream };
    }

    /// <summary>Puts the filters in front of the upstream, binds every port and starts serving. Once only.</summary>
    /// <exception cref="ProxyStartException">A port could not be bound; dispose the server.</exception>
    public async Task ListenAsync(IReadOnlyList<IHttpFilterFactory> filters, IReadOnlyList<IFilterMetricsSource> metricsSources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(metricsSources);
        if (Interlocked.Exchange(ref _listening, 1) != 0)
        {
            throw new InvalidOperationException("The proxy server is already listening.");
        }

        var chain = new FilterChain(filters, _options.BodyBufferLimit, _options.StreamIdleTimeout, _timeProvider);
        var admin = new AdminEndpoint(Metrics, metricsSources);
        var logger = _loggerFactory.CreateLogger("Wasme.Proxy");
        var handler = new ProxyRequestHandler(_app.Services.GetRequiredService<IHttpForwarder>(), _client, Upstream, chain, Metrics, logger, _options.Route, _options.H2c, _options.AcceptHttp10);
        _app.Run(context => context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(AdminConnection) == true
            ? admin.HandleAsync(context)
            : handler.HandleAsync(context));

        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new ProxyStartException(DescribeBindFailure(_options, ex), ex);
        }

        var bound = BoundEndpoints(_app);
        ListenEndpoint = bound[0];
        if (_options.Admin is not null)
        {
            AdminEndpoint = bound[1];
        }
    }

    /// <summary>Stops accepting requests and lets the ones in flight finish.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _app.StopAsync(cancellationToken);
        if (_echo is not null)
        {
            await _echo.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _client.Dispose();
        if (_echo is not null)
        {
            await _echo.DisposeAsync();
        }
    }

    // Below this many connections a user load-testing the proxy would meet the limit: say so at start.
    private const int LowConnectionLimit = 1024;

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Accepting at most {Limit} HTTP connections at once: each proxied one holds two file descriptors and this process may open {OpenFiles} (ulimit -n); raise ulimit -n for more")]
    private static partial void LogConnectionLimit(ILogger logger, int limit, long openFiles);

    private static List<IPEndPoint> BoundEndpoints(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var endpoints = new List<IPEndPoint>();
        foreach (var address in addresses)
        {
            var uri = new Uri(address);
            endpoints.Add(new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port));
        }

        return endpoints;
    }

    private static string DescribeBindFailure(ProxyOptions options, IOException ex)
    {
        var endpoint = ex.Message.Contains(options.Listen.ToString(), StringComparison.Ordinal) || options.Admin is null
            ? options.Listen
            : options.Admin;
        return ex.InnerException is AddressInUseException
            ? $"{endpoint} is already in use: stop what listens there, or pick another port (--listen / --admin)"
            : $"cannot listen on {endpoint}: {ex.Message}";
    }
}
