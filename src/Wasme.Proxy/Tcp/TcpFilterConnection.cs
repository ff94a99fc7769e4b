using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tcp;

/// <summary>
/// One client connection through the network filters to the upstream, as Envoy's network filter manager and tcp_proxy
/// run it. Each direction has one pending buffer: data read is appended and offered to the filters (client data in
/// chain order, upstream data in reverse order, as Envoy's read and write filters); a filter that stops keeps the
/// bytes there, and the next read offers them again with what arrived since. A client's end of stream is passed on as a
/// half close (tcp_proxy enables half close); the upstream's end of stream is reported with
/// <c>proxy_on_upstream_connection_close</c> (peer unknown), after its data callback, as Envoy does. When the
/// connection goes, every filter gets <c>proxy_on_downstream_connection_close</c>, then done, log and delete.
/// Every event runs under one gate; what filters ask for from inside a callback is acted on after it returns.
/// </summary>
internal sealed class TcpFilterConnection : IDisposable
{
    private const int ReadSize = 16 * 1024;

    private readonly Socket _downstream;
    private readonly TcpProxyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly NetworkConnectionContext[] _filters;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentQueue<int> _continueRequests = new();
    private readonly BodyBuffer _fromDownstream;
    private readonly BodyBuffer _fromUpstream;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _client;
    private readonly TcpSendQueue _toDownstream;
    private Socket? _upstream;
    private TcpSendQueue? _toUpstream;
    private int _connectStoppedAt = -1;
    private int _readStoppedAt = -1;
    private bool _downstreamEnded;
    private bool _upstreamEnded;
    private bool _upstreamWriteShut;
    private bool _downstreamWriteShut;
    private PeerType _lastEnd = PeerType.Remote;
    private volatile bool _closeRequested;
    private bool _isClosed;
    private ITimer? _idleTimer;

    public TcpFilterConnection(Socket downstream, ulong connectionId, TcpProxyOptions options, IReadOnlyList<ProxyWasmPlugin> plugins, TimeProvider timeProvider, ILogger logger)
    {
        _downstream = downstream;
        _options = options;
        _fromDownstream = new BodyBuffer { GuestLimit = options.BufferLimit };
        _fromUpstream = new BodyBuffer { GuestLimit = options.BufferLimit };
        _timeProvider = timeProvider;
        _logger = logger;
        var remote = downstream.RemoteEndPoint as IPEndPoint;
        var local = downstream.LocalEndPoint as IPEndPoint;
        _client = remote?.ToString() ?? "?";
        _toDownstream = NewSendQueue(downstream);
        Info = new StreamInfo
        {
            SourceAddress = remote?.Address.ToString(),
            SourcePort = remote?.Port ?? 0,
            DestinationAddress = local?.Address.ToString(),
            DestinationPort = local?.Port ?? 0,
            ConnectionId = connectionId,
            StartTime = timeProvider.GetUtcNow(),
        };
        _filters = new NetworkConnectionContext[plugins.Count];
        for (var i = 0; i < plugins.Count; i++)
        {
            _filters[i] = plugins[i].CreateNetworkConnection(new FilterHost(this, i));
        }
    }

    public StreamInfo Info { get; }

    /// <summary>Runs the connection until both sides are closed.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (_options.IdleTimeout > TimeSpan.Zero)
            {
                _idleTimer = _timeProvider.CreateTimer(static state => _ = ((TcpFilterConnection)state!).CloseIdleAsync(), this, _options.IdleTimeout, Timeout.InfiniteTimeSpan);
            }

            await _gate.WaitAsync();
            try
            {
                await ResumeNewConnectionAsync(0);
                await ProcessRequestsAsync();
            }
            finally
            {
                _gate.Release();
            }

            await PumpDownstreamAsync();
            await _closed.Task;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            TcpLog.Failed(_logger, ex, _client);
            await AbortAsync();
        }
    }

    /// <summary>Closes the connection (the proxy is stopping), running the filters' close callbacks.</summary>
    public async Task AbortAsync()
    {
        try
        {
            // A send the peer does not read holds the gate: cancel it first.
            _closing.Cancel();
            await _gate.WaitAsync();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            await CloseAsync(PeerType.Local);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>No bytes moved either way for the idle timeout: closed as tcp_proxy's idle_timeout closes it (locally).</summary>
    private async Task CloseIdleAsync()
    {
        // A connection already closing may be flushing to a peer that never reads: aborting cancels that flush.
        if (_closed.Task.IsCompleted)
        {
            return;
        }

        TcpLog.IdleTimeout(_logger, _client, _options.IdleTimeout);
        await AbortAsync();
    }

    /// <summary>Bytes moved: the idle timeout starts again.</summary>
    private void Active() => _idleTimer?.Change(_options.IdleTimeout, Timeout.InfiniteTimeSpan);

    private async Task PumpDownstreamAsync()
    {
        var buffer = new byte[ReadSize];
        while (true)
        {
            int read;
            try
            {
                read = await _downstream.ReceiveAsync(buffer, SocketFlags.None, _closing.Token);
                Active();
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                await OnEventAsync(() => CloseAsync(PeerType.Remote));
                return;
            }

            await OnEventAsync(async () =>
            {
                if (read == 0)
                {
                    _downstreamEnded = true;
                    _lastEnd = PeerType.Remote;
                }
                else
                {
                    _fromDownstream.Append(buffer.AsSpan(0, read));
                }

                await RunDownstreamAsync(0);
                await CloseIfOverLimitAsync(_fromDownstream, "client");
            });
            if (read == 0)
            {
                return;
            }

            // Read no more from the client than the upstream has taken: memory stays bounded by what one read holds.
            if (Volatile.Read(ref _toUpstream) is { } toUpstream)
            {
                await toUpstream.Drained;
            }
        }
    }

    private async Task PumpUpstreamAsync(Socket upstream)
    {
        var buffer = new byte[ReadSize];
        while (true)
        {
            int read;
            try
            {
                read = await upstream.ReceiveAsync(buffer, SocketFlags.None, _closing.Token);
                Active();
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // tcp_proxy closes the client's connection (after flushing) when the upstream resets.
                await OnEventAsync(() => CloseAsync(PeerType.Local));
                return;
            }

            await OnEventAsync(async () =>
            {
                if (read == 0)
                {
                    _upstreamEnded = true;
                }
                else
                {
                    _fromUpstream.Append(buffer.AsSpan(0, read));
                }

                await RunUpstreamAsync();
                await CloseIfOverLimitAsync(_fromUpstream, "upstream");
            });
            if (read == 0)
            {
                return;
            }

            await _toDownstream.Drained;
        }
    }

    /// <summary>Runs one event under the gate, then whatever the filters asked for during it.</summary>
    private async Task OnEventAsync(Func<Task> action)
    {
        try
        {
            await _gate.WaitAsync();
        }
        catch (ObjectDisposedException)
        {
            // A filter asked for something after the connection was gone.
            return;
        }

        try
        {
            if (_isClosed)
            {
                return;
            }

            await action();
            await ProcessRequestsAsync();
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            await CloseAsync(PeerType.Local);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A filter that keeps pausing a direction (waiting for a line or a frame that never ends) would make the proxy hold
    /// whatever the peer sends. Envoy stops reading that side past its buffer limit; .NET cannot see a peer close a
    /// socket it does not read, so this closes the connection instead, running the filters' close callbacks.
    /// </summary>
    private Task CloseIfOverLimitAsync(BodyBuffer held, string side)
    {
        if (_isClosed || held.Length <= _options.BufferLimit)
        {
            return Task.CompletedTask;
        }

        TcpLog.BufferLimitReached(_logger, _client, _options.BufferLimit, side);
        return CloseAsync(PeerType.Local);
    }

    private async Task ResumeNewConnectionAsync(int from)
    {
        for (var i = from; i < _filters.Length; i++)
        {
            if (_filters[i].OnNewConnection() == NetworkFilterStatus.StopIteration || _closeRequested)
            {
                _connectStoppedAt = i;
                return;
            }
        }

        _connectStoppedAt = -1;
        await ConnectUpstreamAsync();
    }

    private async Task RunDownstreamAsync(int from)
    {
        for (var i = from; i < _filters.Length; i++)
        {
            var status = _filters[i].OnDownstreamData(_fromDownstream, _downstreamEnded);
            if (status == NetworkFilterStatus.StopIteration || _closeRequested)
            {
                _readStoppedAt = i;
                return;
            }
        }

        _readStoppedAt = -1;
        if (_upstream is null && !await ConnectUpstreamAsync())
        {
            return;
        }

        if (_fromDownstream.Length > 0)
        {
            _toUpstream!.Send(_fromDownstream.Memory.Span);
            _fromDownstream.Clear();
        }

        if (_downstreamEnded && !_upstreamWriteShut)
        {
            _upstreamWriteShut = true;
            _toUpstream!.Shutdown();
        }
    }

    private async Task RunUpstreamAsync()
    {
        for (var i = _filters.Length - 1; i >= 0; i--)
        {
            var status = _filters[i].OnUpstreamData(_fromUpstream, _upstreamEnded);
            if (_upstreamEnded)
            {
                _filters[i].OnUpstreamConnectionClose(PeerType.Unknown);
            }

            if (status == NetworkFilterStatus.StopIteration || _closeRequested)
            {
                return;
            }
        }

        if (_fromUpstream.Length > 0)
        {
            _toDownstream.Send(_fromUpstream.Memory.Span);
            _fromUpstream.Clear();
        }

        if (_upstreamEnded && !_downstreamWriteShut)
        {
            _downstreamWriteShut = true;
            _lastEnd = PeerType.Local;
            _toDownstream.Shutdown();
        }
    }

    private async Task<bool> ConnectUpstreamAsync()
    {
        if (_upstream is not null)
        {
            return true;
        }

        _connectStoppedAt = -1;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _closing.Token);
        try
        {
            await socket.ConnectAsync(_options.Upstream, linked.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            var reason = ex is OperationCanceledException ? $"no answer within {_options.ConnectTimeout.TotalSeconds:0} s" : ex.Message;
            TcpLog.UpstreamUnreachable(_logger, _client, _options.Upstream.ToString() ?? "?", reason);
            await CloseAsync(PeerType.Local);
            return false;
        }

        _upstream = socket;
        Volatile.Write(ref _toUpstream, NewSendQueue(socket));
        _ = Task.Run(() => PumpUpstreamAsync(socket));
        return true;
    }

    /// <summary>Acts on what filters asked for: resuming a paused client direction, closing the connection.</summary>
    private async Task ProcessRequestsAsync()
    {
        while (!_isClosed && _continueRequests.TryDequeue(out var filter))
        {
            if (_connectStoppedAt == filter)
            {
                await ResumeNewConnectionAsync(filter + 1);
            }
            else if (_readStoppedAt == filter)
            {
                await RunDownstreamAsync(filter + 1);
            }
        }

        if (_closeRequested)
        {
            await CloseAsync(PeerType.Local);
            return;
        }

        if (_downstreamEnded && _upstreamEnded && _upstreamWriteShut && _downstreamWriteShut)
        {
            await CloseAsync(_lastEnd);
        }
    }

    /// <summary>Flushes what was queued for either side, closes both sockets, then runs the filters' close callbacks.</summary>
    private async Task CloseAsync(PeerType peer)
    {
        if (_isClosed)
        {
            return;
        }

        Volatile.Write(ref _isClosed, true);
        // A peer that never reads holds this until the idle timeout or the proxy stops: both cancel the sends.
        await _toDownstream.Drained;
        if (Volatile.Read(ref _toUpstream) is { } toUpstream)
        {
            await toUpstream.Drained;
        }

        _idleTimer?.Dispose();
        _closing.Cancel();
        Shut(_downstream);
        if (_upstream is { } upstream)
        {
            Shut(upstream);
        }

        TcpLog.Closed(_logger, _client, peer);
        foreach (var filter in _filters)
        {
            filter.OnDownstreamConnectionClose(peer);
        }

        foreach (var filter in _filters)
        {
            filter.OnDone();
            filter.Dispose();
        }

        _fromDownstream.Dispose();
        _fromUpstream.Dispose();
        _closed.TrySetResult();
    }

    private TcpSendQueue NewSendQueue(Socket socket) => new(socket, Active, OnSendFailed, _closing.Token);

    /// <summary>A peer reset or went away while bytes were on their way to it: tcp_proxy closes the connection.</summary>
    private void OnSendFailed()
    {
        if (!_closing.IsCancellationRequested)
        {
            _ = OnEventAsync(() => CloseAsync(PeerType.Local));
        }
    }

    public void Dispose()
    {
        _idleTimer?.Dispose();
        _closing.Dispose();
        _gate.Dispose();
        _fromDownstream.Dispose();
        _fromUpstream.Dispose();
    }

    private static void Shut(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }

        socket.Dispose();
    }

    private void Kick() => _ = OnEventAsync(static () => Task.CompletedTask);

    /// <summary>What one filter's <c>proxy_continue_stream</c>/<c>proxy_close_stream</c> reach; never acts synchronously.</summary>
    private sealed class FilterHost(TcpFilterConnection connection, int index) : IStreamHost
    {
        public StreamInfo Info => connection.Info;

        /// <summary>No HTTP stream on a TCP connection: Envoy answers OK and does nothing.</summary>
        public void SendLocalResponse(LocalResponse response)
        {
        }

        public void ContinueStream(StreamType direction)
        {
            if (direction == StreamType.Downstream)
            {
                connection._continueRequests.Enqueue(index);
                connection.Kick();
            }
        }

        public void CloseStream(StreamType direction)
        {
            if (direction is StreamType.Downstream or StreamType.Upstream)
            {
                connection._closeRequested = true;
                connection.Kick();
            }
        }
    }
}
