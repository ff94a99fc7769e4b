using Microsoft.Extensions.Logging;
using Wasme.Cache.Eviction;
using Wasme.Cache.Fetching;
using Wasme.Cache.Storage;

namespace Wasme.Cache;

/// <summary>
/// The daemon's level-triggered loop: makes the directory hold every wanted module (retrying failures
/// with exponential backoff, never re-pulling what is present) and evicts what nothing wants.
/// </summary>
public sealed partial class ModuleCache : IDisposable
{
    private readonly CacheOptions _options;
    private readonly ModuleDirectory _directory;
    private readonly ModuleFetcher _fetcher;
    private readonly CacheMetrics _metrics;
    private readonly ICacheObserver _observer;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _jitter;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Dictionary<ModuleDigest, DateTimeOffset> _unreferencedSince = [];
    private readonly Dictionary<ModuleDigest, FailureState> _failures = [];
    private readonly Dictionary<ModuleDigest, Task<(WantedModule Module, ModuleEntry? Entry, string? Error)>> _fetching = [];
    private readonly Lock _wantedLock = new();
    private IReadOnlyDictionary<ModuleDigest, WantedModule> _wanted = new Dictionary<ModuleDigest, WantedModule>();
    private IReadOnlyDictionary<ModuleDigest, IReadOnlyList<WantedModule>> _candidates = new Dictionary<ModuleDigest, IReadOnlyList<WantedModule>>();
    private HashSet<ModuleDigest>? _lastPublished;

    // jitter returns a value in [0, 1) that spreads retries of many nodes apart; tests fix it.
    public ModuleCache(
        CacheOptions options,
        ModuleDirectory directory,
        ModuleFetcher fetcher,
        CacheMetrics metrics,
        ICacheObserver observer,
        TimeProvider timeProvider,
        ILogger<ModuleCache> logger,
        Func<double>? jitter = null)
    {
        _options = options;
        _directory = directory;
        _fetcher = fetcher;
        _metrics = metrics;
        _observer = observer;
        _timeProvider = timeProvider;
        _logger = logger;
        _jitter = jitter ?? Random.Shared.NextDouble;
    }

    /// <summary>Replaces the set of wanted modules (the union over all FilterDeployments) and wakes the loop.</summary>
    public void SetWanted(IEnumerable<WantedModule> wanted)
    {
        // Several FilterDeployments may want one module from different images, pull secrets and namespaces; any one
        // will do (the bytes are named by their sha256), so a fetch tries each in turn: one team's unpullable image must
        // not keep a module another team can pull off the node. Those that need no signature check go first.
        var candidates = new Dictionary<ModuleDigest, List<WantedModule>>();
        foreach (var module in wanted.OrderBy(m => m.Verification is null ? 0 : 1))
        {
            if (!candidates.TryGetValue(module.Module, out var list))
            {
                candidates[module.Module] = list = [];
            }

            if (!list.Contains(module))
            {
                list.Add(module);
            }
        }

        var byDigest = candidates.ToDictionary(c => c.Key, c => c.Value[0]);
        lock (_wantedLock)
        {
            _wanted = byDigest;
            _candidates = candidates.ToDictionary(c => c.Key, c => (IReadOnlyList<WantedModule>)c.Value);
        }

        WantedChanged?.Invoke(byDigest);
        Wake();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
        catch (ObjectDisposedException)
        {
            // A fetch that ended after the cache stopped.
        }
    }

    /// <summary>Raised after <see cref="SetWanted"/> replaced the wanted set.</summary>
    public event Action<IReadOnlyDictionary<ModuleDigest, WantedModule>>? WantedChanged;

    public IReadOnlyDictionary<ModuleDigest, WantedModule> Wanted
    {
        get
        {
            lock (_wantedLock)
            {
                return _wanted;
            }
        }
    }

    /// <summary>Runs sync passes until cancelled: on every change of the wanted set, when a retry is due, and on the resync interval.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                delay = await SyncOnceAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSyncFailed(_logger, ex);
                delay = _options.RetryInitialDelay;
            }

            using var timeout = new CancellationTokenSource(delay, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await _wake.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The delay elapsed: resync.
            }
        }
    }

    /// <summary>
    /// One pass: takes in the fetches that finished, starts the ones now due, evicts and publishes. Returns how long until
    /// the next pass is needed. It never waits for a fetch (each one wakes the loop when it ends): a registry that stalls
    /// or trickles must not hold back other modules, eviction or the node's readiness record.
    /// </summary>
    public async Task<TimeSpan> SyncOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<ModuleDigest, WantedModule> wanted;
        IReadOnlyDictionary<ModuleDigest, IReadOnlyList<WantedModule>> candidates;
        lock (_wantedLock)
        {
            wanted = _wanted;
            candidates = _candidates;
        }

        var now = _timeProvider.GetUtcNow();
        foreach (var digest in _failures.Keys.Where(d => !wanted.ContainsKey(d)).ToList())
        {
            _failures.Remove(digest);
        }

        foreach (var digest in _directory.ForgetMissing())
        {
            LogFileMissing(_logger, digest.Hex, _directory.Path);
        }

        foreach (var (digest, fetch) in _fetching.Where(f => f.Value.IsCompleted).ToList())
        {
            _fetching.Remove(digest);
            var (module, entry, error) = await fetch;
            if (entry is not null)
            {
                _failures.Remove(module.Module);
                await _observer.ModuleStoredAsync(module, entry, cancellationToken);
                continue;
            }

            if (!wanted.ContainsKey(digest))
            {
                continue;
            }

            var previous = _failures.GetValueOrDefault(module.Module);
            var attempts = (previous?.Attempts ?? 0) + 1;
            var retryIn = Backoff(attempts);
            _failures[module.Module] = new FailureState(attempts, _timeProvider.GetUtcNow() + retryIn, error!);
            LogRetryScheduled(_logger, module.Module.Hex, attempts, retryIn);
            if (previous?.Reason != error)
            {
                await _observer.ModuleFailedAsync(module, error!, cancellationToken);
            }
        }

        foreach (var module in wanted.Values)
        {
            if (!_directory.Contains(module.Module)
                && !_fetching.ContainsKey(module.Module)
                && (!_failures.TryGetValue(module.Module, out var failure) || failure.NextAttempt <= now))
            {
                _fetching[module.Module] = FetchAndWakeAsync(candidates.GetValueOrDefault(module.Module) ?? [module], cancellationToken);
            }
        }

        foreach (var digest in wanted.Keys)
        {
            _directory.Touch(digest);
        }

        Evict(wanted, now);
        await PublishHeldAsync(cancellationToken);
        return NextDelay(wanted);
    }

    /// <summary>Completes once every fetch started so far has ended (the next pass takes their results in).</summary>
    internal Task FetchesRunning => Task.WhenAll(_fetching.Values);

    internal bool IsFetching => _fetching.Count > 0;

    /// <summary>The fetch of this module started by a pass and not yet taken in, else a completed task.</summary>
    internal Task FetchOf(ModuleDigest module) => _fetching.TryGetValue(module, out var fetch) ? fetch : Task.CompletedTask;

    private async Task<(WantedModule Module, ModuleEntry? Entry, string? Error)> FetchAndWakeAsync(IReadOnlyList<WantedModule> candidates, CancellationToken cancellationToken)
    {
        // Runs on the loop's thread up to the fetch's first await (registering it for HTTP waits), then off it.
        try
        {
            return await TryFetchAsync(candidates, cancellationToken);
        }
        finally
        {
            Wake();
        }
    }

    /// <summary>The first candidate image that yields the module; when none does, each image's reason.</summary>
    private async Task<(WantedModule Module, ModuleEntry? Entry, string? Error)> TryFetchAsync(IReadOnlyList<WantedModule> candidates, CancellationToken cancellationToken)
    {
        var errors = new List<string>(candidates.Count);
        foreach (var module in candidates)
        {
            try
            {
                return (module, await _fetcher.EnsureAsync(module, cancellationToken), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                errors.Add(candidates.Count == 1 ? ex.Message : $"{module.Image}: {ex.Message}");
            }
        }

        return (candidates[0], null, string.Join("; ", errors));
    }

    private void Evict(IReadOnlyDictionary<ModuleDigest, WantedModule> wanted, DateTimeOffset now)
    {
        var stored = _directory.List();
        var storedDigests = stored.Select(s => s.Entry.Digest).ToHashSet();
        foreach (var digest in _unreferencedSince.Keys.Where(d => wanted.ContainsKey(d) || !storedDigests.Contains(d)).ToList())
        {
            _unreferencedSince.Remove(digest);
        }

        foreach (var digest in storedDigests.Where(d => !wanted.ContainsKey(d)))
        {
            _unreferencedSince.TryAdd(digest, now);
        }

        var referenced = wanted.Keys.ToHashSet();
        foreach (var decision in EvictionPolicy.Decide(stored, referenced, _unreferencedSince, now, _options.GracePeriod, _options.QuotaBytes))
        {
            if (_directory.Remove(decision.Module))
            {
                _unreferencedSince.Remove(decision.Module);
                _metrics.RecordEviction();
                LogEvicted(_logger, decision.Module.Hex, decision.Reason);
            }
        }
    }

    private async Task PublishHeldAsync(CancellationToken cancellationToken)
    {
        var held = _directory.List().Select(s => s.Entry.Digest).ToHashSet();
        if (_lastPublished is not null && held.SetEquals(_lastPublished))
        {
            return;
        }

        await _observer.HeldModulesChangedAsync(held, cancellationToken);
        _lastPublished = held;
    }

    private TimeSpan NextDelay(IReadOnlyDictionary<ModuleDigest, WantedModule> wanted)
    {
        var now = _timeProvider.GetUtcNow();
        var next = now + _options.ResyncInterval;
        foreach (var failure in _failures.Values)
        {
            next = failure.NextAttempt < next ? failure.NextAttempt : next;
        }

        foreach (var (digest, since) in _unreferencedSince)
        {
            // A grace period of centuries ("keep until the quota needs the room") must not overflow the date and fail every pass.
            var expiry = _options.GracePeriod < DateTimeOffset.MaxValue - since ? since + _options.GracePeriod : DateTimeOffset.MaxValue;
            if (!wanted.ContainsKey(digest) && expiry < next)
            {
                next = expiry;
            }
        }

        var delay = next - now;
        return delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>Exponential, capped, with jitter in [0.75, 1.25) so nodes do not retry in lockstep.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Min(attempts - 1, 30);
        var baseDelay = Math.Min(_options.RetryInitialDelay.TotalMilliseconds * Math.Pow(2, exponent), _options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(baseDelay * (0.75 + (0.5 * _jitter())));
    }

    /// <summary>Why a module is not held yet, for logs and status.</summary>
    public string? FailureReason(ModuleDigest module) => _failures.GetValueOrDefault(module)?.Reason;

    public void Dispose() => _wake.Dispose();

    private sealed record FailureState(int Attempts, DateTimeOffset NextAttempt, string Reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cache sync pass failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module}: attempt {Attempts} failed, retrying in {RetryIn}")]
    private static partial void LogRetryScheduled(ILogger logger, string module, int attempts, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Module {Module} is no longer complete in {Directory} (removed outside the cache?); fetching it again")]
    private static partial void LogFileMissing(ILogger logger, string module, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicted module {Module} ({Reason})")]
    private static partial void LogEvicted(ILogger logger, string module, EvictionReason reason);
}
