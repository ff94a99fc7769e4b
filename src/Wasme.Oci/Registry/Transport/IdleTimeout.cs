namespace Wasme.Oci.Registry.Transport;

/// <summary>
/// Cancels one HTTP exchange when the connection makes no progress for the read timeout: no
/// response headers, no request body written, or no response body received. It runs only while
/// wasme waits on the network, so a slow consumer of the body never trips it. A reader that counts
/// only real progress (<see cref="IdleTimeoutStream"/>) pauses it with <see cref="Stop"/> and goes on
/// with <see cref="Resume"/>, so the time a trickle takes adds up across reads.
/// </summary>
internal sealed class IdleTimeout : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _outer;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private TimeSpan _left;
    private long _runningSince;
    private bool _running;

    public IdleTimeout(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Timeout = timeout;
        _left = timeout;
        _outer = cancellationToken;
        _timeProvider = timeProvider;
        _timer = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timer.Token);
    }

    public TimeSpan Timeout { get; }

    /// <summary>Cancelled by the caller's token or by the timeout.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>True when the timeout (not the caller) cancelled the exchange.</summary>
    public bool Expired(CancellationToken cancellationToken = default) =>
        _timer.IsCancellationRequested && !_outer.IsCancellationRequested && !cancellationToken.IsCancellationRequested;

    /// <summary>Starts the countdown afresh: the whole timeout is left.</summary>
    public void Restart()
    {
        lock (_gate)
        {
            _left = Timeout;
            _running = false;
            Run();
        }
    }

    /// <summary>Goes on with the countdown where <see cref="Stop"/> left it.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            Run();
        }
    }

    /// <summary>Pauses the countdown, keeping what is left of it for <see cref="Resume"/>.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_running)
            {
                var left = _left - _timeProvider.GetElapsedTime(_runningSince);
                _left = left > TimeSpan.Zero ? left : TimeSpan.Zero;
                _running = false;
            }

            if (!_timer.IsCancellationRequested)
            {
                _timer.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        _linked.Dispose();
        _timer.Dispose();
    }

    private void Run()
    {
        if (_running)
        {
            _left -= _timeProvider.GetElapsedTime(_runningSince);
        }

        _running = true;
        _runningSince = _timeProvider.GetTimestamp();
        if (!_timer.IsCancellationRequested)
        {
            _timer.CancelAfter(_left > TimeSpan.Zero ? _left : TimeSpan.Zero);
        }
    }
}
