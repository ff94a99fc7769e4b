namespace Wasme.Operator.Queues;

/// <summary>
/// A keyed work queue with client-go semantics: a key is queued at most once however often it is
/// added; a key being processed is never handed to a second worker, and if it is added meanwhile it
/// is queued again when the first worker calls <see cref="Done"/>. Delayed and rate-limited adds use
/// the injected <see cref="TimeProvider"/>, so tests drive time by hand.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "client-go's name for this structure.")]
public sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, (DateTimeOffset ReadyAt, ITimer Timer)> _waiting = [];
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TimeProvider _timeProvider;
    private readonly ExponentialBackoff<TKey> _backoff;

    public WorkQueue(TimeProvider timeProvider, ExponentialBackoff<TKey> backoff)
    {
        _timeProvider = timeProvider;
        _backoff = backoff;
    }

    /// <summary>Keys waiting to be handed out (not counting those in progress or delayed).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Keys scheduled for a later add.</summary>
    public int DelayedCount
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    public bool IsShuttingDown => _shutdown.IsCancellationRequested;

    /// <summary>
    /// True while the key waits to be handed out or is in progress (a delayed add does not count): once false, every
    /// reconcile of it that had started has returned, its writes answered.
    /// </summary>
    public bool IsBusy(TKey key)
    {
        lock (_gate)
        {
            return _dirty.Contains(key) || _processing.Contains(key);
        }
    }

    public void Add(TKey key)
    {
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested || !_dirty.Add(key))
            {
                return;
            }

            if (_processing.Contains(key))
            {
                // Requeued by Done, so no two workers ever hold the same key.
                return;
            }

            _queue.Enqueue(key);
        }

        _available.Release();
    }

    /// <summary>Adds the key after <paramref name="delay"/>; an earlier pending add for the key wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested)
            {
                return;
            }

            var readyAt = _timeProvider.GetUtcNow() + delay;
            if (_waiting.TryGetValue(key, out var existing))
            {
                if (existing.ReadyAt <= readyAt)
                {
                    return;
                }

                existing.Timer.Dispose();
            }

            var timer = _timeProvider.CreateTimer(static state => ((WorkQueue<TKey>)((object[])state!)[0]).Fire((TKey)((object[])state!)[1]), new object[] { this, key }, delay, Timeout.InfiniteTimeSpan);
            _waiting[key] = (readyAt, timer);
        }
    }

    /// <summary>Adds the key after its per-key exponential backoff: used after a failed reconcile.</summary>
    public void AddRateLimited(TKey key) => AddAfter(key, _backoff.When(key));

    /// <summary>As <see cref="AddRateLimited(TKey)"/>, but not before <paramref name="atLeast"/> (what the API server asked for).</summary>
    public void AddRateLimited(TKey key, TimeSpan atLeast)
    {
        var backoff = _backoff.When(key);
        AddAfter(key, backoff > atLeast ? backoff : atLeast);
    }

    /// <summary>Clears the key's failure history: used after a successful reconcile.</summary>
    public void Forget(TKey key) => _backoff.Forget(key);

    public int Requeues(TKey key) => _backoff.Failures(key);

    /// <summary>Waits for the next key. Returns <c>false</c> once the queue is shut down.</summary>
    public async ValueTask<(bool Ok, TKey Key)> TryTakeAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        while (true)
        {
            try
            {
                await _available.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                return (false, default!);
            }

            lock (_gate)
            {
                if (_queue.TryDequeue(out var key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    return (true, key);
                }
            }
        }
    }

    /// <summary>Marks the key as finished; if it was added while in progress it is queued again now.</summary>
    public void Done(TKey key)
    {
        var requeue = false;
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shutdown.IsCancellationRequested)
            {
                _queue.Enqueue(key);
                requeue = true;
            }
        }

        if (requeue)
        {
            _available.Release();
        }
    }

    /// <summary>Stops handing out keys; waiting takers return <c>false</c>.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            foreach (var (_, timer) in _waiting.Values)
            {
                timer.Dispose();
            }

            _waiting.Clear();
        }

        _shutdown.Cancel();
    }

    public void Dispose()
    {
        ShutDown();
        _shutdown.Dispose();
        _available.Dispose();
    }

    private void Fire(TKey key)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(key, out var entry))
            {
                return;
            }

            entry.Timer.Dispose();
        }

        Add(key);
    }
}
