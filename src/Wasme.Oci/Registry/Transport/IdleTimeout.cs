namespace Wasme.Oci.Registry.Transport;

/// <summary>
/// Cancels one HTTP exchange when the connection makes no progress for the read timeout: no
/// response headers, no request body written, or no response body received. It runs only while
/// wasme waits on the network, so a slow consumer of the body never trips it.
/// </summary>
internal sealed class IdleTimeout : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _outer;

    public IdleTimeout(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Timeout = timeout;
        _outer = cancellationToken;
        _timer = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timer.Token);
    }

    public TimeSpan Timeout { get; }

    /// <summary>Cancelled by the caller's token or by the timeout.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>True when the timeout (not the caller) cancelled the exchange.</summary>
    public bool Expired(CancellationToken cancellationToken = default) =>
        _timer.IsCancellationRequested && !_outer.IsCancellationRequested && !cancellationToken.IsCancellationRequested;

    /// <summary>Starts (or restarts) the countdown.</summary>
    public void Restart()
    {
        if (!_timer.IsCancellationRequested)
        {
            _timer.CancelAfter(Timeout);
        }
    }

    public void Stop()
    {
        if (!_timer.IsCancellationRequested)
        {
            _timer.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _linked.Dispose();
        _timer.Dispose();
    }
}
