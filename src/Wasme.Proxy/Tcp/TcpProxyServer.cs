using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Hosting;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tcp;

/// <summary>
/// The local TCP data plane: accepts connections on one address and forwards each to the upstream through the
/// Proxy-Wasm plugins as network filters (<c>envoy.filters.network.wasm</c> in front of <c>tcp_proxy</c>).
/// </summary>
public sealed class TcpProxyServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TcpProxyOptions _options;
    private readonly IReadOnlyList<ProxyWasmPlugin> _filters;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<TcpFilterConnection, Task> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextConnectionId;
    private int _open;
    private bool _limitWarned;

    private TcpProxyServer(Socket listener, TcpProxyOptions options, IReadOnlyList<ProxyWasmPlugin> filters, TimeProvider timeProvider, ILogger logger)
    {
        _listener = listener;
        _options = options;
        _filters = filters;
        _timeProvider = timeProvider;
        _logger = logger;
        ListenEndpoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Where the listener accepts connections (with the real port when 0 was asked for).</summary>
    public IPEndPoint ListenEndpoint { get; }

    public EndPoint Upstream => _options.Upstream;

    /// <summary>Connections open now.</summary>
    public int ActiveConnections => Volatile.Read(ref _open);

    // A failed accept (out of file descriptors) fails again at once: wait a little instead of spinning a core.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <exception cref="ProxyStartException">The address could not be bound.</exception>
    public static TcpProxyServer Start(TcpProxyOptions options, IReadOnlyList<ProxyWasmPlugin> filters, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(options));
        }

        var logger = loggerFactory.CreateLogger("Wasme.Proxy.Tcp");
        var openFiles = OpenFileBudget.ReadLimit();
        var fitted = OpenFileBudget.FitConnections(options.MaxConnections, openFiles);
        if (fitted < options.MaxConnections)
        {
            TcpLog.ConnectionLimitLowered(logger, fitted, options.MaxConnections, openFiles ?? 0);
            options = options with { MaxConnections = fitted };
        }

        var listener = new Socket(options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(options.Listen);
            listener.Listen(512);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            var message = ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"{options.Listen} is already in use: stop what listens there, or pick another port (--tcp LISTEN=UPSTREAM)"
                : $"cannot listen on {options.Listen}: {ex.Message}";
            throw new ProxyStartException(message, ex);
        }

        var server = new TcpProxyServer(listener, options, filters, timeProvider, logger);
        server._acceptLoop = Task.Run(server.AcceptLoopAsync);
        return server;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                TcpLog.AcceptFailed(_logger, ex.Message);
                try
                {
                    await Task.Delay(AcceptRetryDelay, _timeProvider, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (Volatile.Read(ref _open) >= _options.MaxConnections)
            {
                RefuseOverLimit(client);
                continue;
            }

            Interlocked.Increment(ref _open);
            client.NoDelay = true;
            var connection = new TcpFilterConnection(client, (ulong)Interlocked.Increment(ref _nextConnectionId), _options, _filters, _timeProvider, _logger);
            // Registered before it runs: a connection that ends at once must not be added back after it removed itself.
            _connections[connection] = Task.CompletedTask;
            var run = Task.Run(async () =>
            {
                try
                {
                    await connection.RunAsync();
                }
                finally
                {
                    _connections.TryRemove(connection, out _);
                    connection.Dispose();
                    Interlocked.Decrement(ref _open);
                }
            });
            _connections.TryUpdate(connection, run, Task.CompletedTask);
        }
    }

    /// <summary>Closes a connection past the limit before any filter sees it, as Envoy does past a listener's limit.</summary>
    private void RefuseOverLimit(Socket client)
    {
        if (!_limitWarned)
        {
            _limitWarned = true;
            TcpLog.ConnectionLimitReached(_logger, _options.MaxConnections);
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var remote = client.RemoteEndPoint?.ToString() ?? "?";
            TcpLog.OverLimit(_logger, remote, _options.MaxConnections);
        }

        client.Dispose();
    }

    /// <summary>Stops accepting and closes every connection (the filters see a local close).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _listener.Dispose();
        await _acceptLoop;
        foreach (var connection in _connections.Keys)
        {
            await connection.AbortAsync();
        }

        await Task.WhenAll(_connections.Values);
        _stopping.Dispose();
    }
}
