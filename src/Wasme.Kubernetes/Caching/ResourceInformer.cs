using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Wasme.Kubernetes.Clients;

namespace Wasme.Kubernetes.Caching;

/// <summary>
/// Keeps a local cache of one kind in step with the API server, as client-go's reflector and
/// informer: list, then watch from the list's resourceVersion with bookmarks; on a watch the server ends (its timeout, a
/// proxy's cut), resume quietly from the last seen resourceVersion, unless it ended at once with nothing in it; on 410 Gone, list again and emit the difference; a
/// watch refused (connection refused, as while kube-apiserver restarts, or 429) is sent again from the same resourceVersion,
/// without a list, so a restarted API server is not met by a list of every kind from every client (client-go's
/// isWatchErrorRetriable); on any other failure, list again after a wait that doubles while the failures go on (<see cref="InformerOptions.ErrorBackoff"/> to
/// <see cref="InformerOptions.ErrorBackoffMax"/>);
/// every resync period, replay every cached object so handlers re-check the world. A kind the server does not
/// serve (its CRD is not installed: the list answers 404) counts as listed, so it holds up nothing, and is listed again
/// with a growing delay until its CRD appears. A kind that was served and then answers 404 keeps the objects last seen,
/// as client-go's store does through a failed list: a restarted API server answers 404 for custom resources until it has
/// read their CRDs, and a CRD deleted for good first deletes its objects, which the watch reports.
/// </summary>
public sealed partial class ResourceInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IResourceClient<T> _client;
    private readonly InformerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private static readonly TimeSpan ShortestNormalWatch = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<ObjectKey, T> _cache = new();
    private readonly List<Action<ResourceEventType, T>> _handlers = [];
    private readonly List<Action<bool>> _servedHandlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _resourceVersion = "";
    private volatile bool _served = true;
    private long _received;

    public ResourceInformer(IResourceClient<T> client, InformerOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _client = client;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public ResourceType Type => _client.Type;

    public bool HasSynced => _synced.Task.IsCompletedSuccessfully;

    /// <summary>False while the API server answers that it does not serve this kind (no CRD for it).</summary>
    public bool IsServed => _served;

    /// <summary>Number of full lists done so far (the first, plus one per 410 Gone or failure other than a refused watch).</summary>
    public int ListCount { get; private set; }

    /// <summary>Registers a handler; call before <see cref="RunAsync"/>. Handlers must be quick (enqueue a key).</summary>
    public void AddHandler(Action<ResourceEventType, T> handler) => _handlers.Add(handler);

    /// <summary>Registers a handler told when the kind stops or starts being served; call before <see cref="RunAsync"/>.</summary>
    public void AddServedHandler(Action<bool> handler) => _servedHandlers.Add(handler);

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    public T? Get(ObjectKey key) => _cache.GetValueOrDefault(key);

    public IReadOnlyList<T> List(string? namespaceName = null)
    {
        var items = new List<T>();
        foreach (var item in _cache.Values)
        {
            if (namespaceName is null || item.Metadata.NamespaceProperty == namespaceName)
            {
                items.Add(item);
            }
        }

        return items;
    }

    /// <summary>
    /// Puts the server's answer to our own write into the cache at once, so the next reconcile does not act on the
    /// version it just replaced (client-go's mutation cache). The watch event that follows overwrites it.
    /// </summary>
    public void Remember(T item)
    {
        var key = KeyOf(item);
        _cache.AddOrUpdate(key, item, (_, old) => ResourceVersions.IsNotOlder(item.Metadata.ResourceVersion, old.Metadata.ResourceVersion) ? item : old);
    }

    /// <summary>Drops an object we just deleted from the cache.</summary>
    public void Forget(ObjectKey key) => _cache.TryRemove(key, out _);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var resync = _options.ResyncPeriod > TimeSpan.Zero
            ? _timeProvider.CreateTimer(_ => Resync(), null, _options.ResyncPeriod, _options.ResyncPeriod)
            : null;
        var needList = true;
        var notServedDelay = _options.ErrorBackoff;
        var errorDelay = _options.ErrorBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            var received = _received;
            try
            {
                if (needList)
                {
                    if (!await ListAsync(cancellationToken).ConfigureAwait(false))
                    {
                        await Task.Delay(notServedDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
                        notServedDelay = TimeSpan.FromTicks(Math.Min(notServedDelay.Ticks * 2, _options.NotServedBackoffMax.Ticks));
                        continue;
                    }

                    notServedDelay = _options.ErrorBackoff;
                    needList = false;
                }

                var watchStarted = _timeProvider.GetTimestamp();
                await WatchAsync(cancellationToken).ConfigureAwait(false);
                if (_received == received && _timeProvider.GetElapsedTime(watchStarted) < ShortestNormalWatch)
                {
                    // client-go's "very short watch": a stream that ends at once with nothing in it is a proxy cutting every
                    // watch or an API server going away, and is retried as a failure (waiting longer each time), not at once.
                    throw new WatchEndedAtOnceException();
                }

                // A watch that ran its course (kube-apiserver ends each after its timeout) is resumed where it stopped.
                errorDelay = _options.ErrorBackoff;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ResourceExpiredException)
            {
                Log.WatchExpired(_logger, Type.ToString(), _resourceVersion);
                needList = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A watch that delivered something was working: the next failure starts the backoff over. One that keeps failing
                // (a proxy cutting every watch, watch not granted) waits longer each time, as client-go's reflector does, rather
                // than list the whole kind every second.
                if (_received != received)
                {
                    errorDelay = _options.ErrorBackoff;
                }

                // A refused watch (not a list: needList is still set when the list failed) goes again from where it was.
                var watchAgain = !needList && (KubernetesErrors.IsConnectionRefused(ex) || KubernetesErrors.IsTooManyRequests(ex));

                // An unreachable or refusing API server is expected weather: one line a retry, not a stack trace.
                if (watchAgain)
                {
                    Log.WatchRefused(_logger, Type.ToString(), KubernetesErrors.Describe(ex), _resourceVersion, errorDelay);
                }
                else if (ex is HttpRequestException or k8s.Autorest.HttpOperationException or WatchEndedAtOnceException)
                {
                    Log.WatchFailedBriefly(_logger, Type.ToString(), ex.Message, errorDelay);
                }
                else
                {
                    Log.WatchFailed(_logger, Type.ToString(), errorDelay, ex);
                }

                needList = !watchAgain;
                try
                {
                    await Task.Delay(errorDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                errorDelay = TimeSpan.FromTicks(Math.Min(errorDelay.Ticks * 2, Math.Max(_options.ErrorBackoffMax.Ticks, _options.ErrorBackoff.Ticks)));
            }
        }
    }

    /// <summary>Lists into the cache; false when the kind is not served at all.</summary>
    private async Task<bool> ListAsync(CancellationToken cancellationToken)
    {
        ResourceList<T> list;
        try
        {
            list = await _client.ListAsync(_options.Namespace, _options.LabelSelector, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            // A list never 404s for a served kind (an unknown namespace lists empty): the group/version/resource is missing.
            NotServed();
            return false;
        }

        ListCount++;
        var seen = new HashSet<ObjectKey>();
        foreach (var item in list.Items)
        {
            var key = KeyOf(item);
            seen.Add(key);
            var existed = _cache.TryGetValue(key, out var old);
            _cache[key] = item;
            if (!existed)
            {
                Notify(ResourceEventType.Added, item);
            }
            else if (old!.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
            {
                Notify(ResourceEventType.Modified, item);
            }
        }

        // Deletions missed while the watch was gone.
        foreach (var (key, item) in _cache)
        {
            if (!seen.Contains(key) && _cache.TryRemove(key, out _))
            {
                Notify(ResourceEventType.Deleted, item);
            }
        }

        _resourceVersion = list.Metadata.ResourceVersion ?? "";
        Log.Listed(_logger, Type.ToString(), list.Items.Count, _resourceVersion);
        if (!_served)
        {
            _served = true;
            Log.NowServed(_logger, Type.ToString());
            NotifyServed(true);
        }

        _synced.TrySetResult();
        return true;
    }

    private void NotServed()
    {
        // The cached objects stay (see the type's summary); the next list that succeeds reports what changed meanwhile.
        _resourceVersion = "";
        if (_served || !HasSynced)
        {
            _served = false;
            Log.NotServed(_logger, Type.ToString(), Type.ApiVersion, Type.Plural, _options.NotServedBackoffMax);
            NotifyServed(false);
        }

        _synced.TrySetResult();
    }

    private void NotifyServed(bool served)
    {
        foreach (var handler in _servedHandlers)
        {
            handler(served);
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        await foreach (var (type, item) in _client.WatchAsync(_options.Namespace, _options.LabelSelector, _resourceVersion, cancellationToken).ConfigureAwait(false))
        {
            _received++;
            if (item.Metadata?.ResourceVersion is { Length: > 0 } rv)
            {
                _resourceVersion = rv;
            }

            switch (type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    var existed = _cache.ContainsKey(KeyOf(item));
                    _cache[KeyOf(item)] = item;
                    Notify(existed ? ResourceEventType.Modified : ResourceEventType.Added, item);
                    break;
                case WatchEventType.Deleted:
                    _cache.TryRemove(KeyOf(item), out _);
                    Notify(ResourceEventType.Deleted, item);
                    break;
                case WatchEventType.Bookmark:
                case WatchEventType.Error:
                default:
                    break;
            }
        }
    }

    private void Resync()
    {
        foreach (var item in _cache.Values)
        {
            Notify(ResourceEventType.Resync, item);
        }
    }

    private void Notify(ResourceEventType type, T item)
    {
        foreach (var handler in _handlers)
        {
            handler(type, item);
        }
    }

    private static ObjectKey KeyOf(T item) => new(item.Metadata.NamespaceProperty, item.Metadata.Name);

    private sealed class WatchEndedAtOnceException() : Exception("the API server ended the watch at once, before any event");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Listed {Resource}: {Count} objects at resourceVersion {ResourceVersion}")]
        public static partial void Listed(ILogger logger, string resource, int count, string resourceVersion);

        [LoggerMessage(2, LogLevel.Information, "Watch of {Resource} expired at resourceVersion {ResourceVersion}; listing again")]
        public static partial void WatchExpired(ILogger logger, string resource, string resourceVersion);

        [LoggerMessage(3, LogLevel.Warning, "Watch of {Resource} failed; listing again in {Delay}")]
        public static partial void WatchFailed(ILogger logger, string resource, TimeSpan delay, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "The API server does not serve {Resource} ({ApiVersion}, {Plural}): its CRD is not installed; looking again at most every {MaxDelay}")]
        public static partial void NotServed(ILogger logger, string resource, string apiVersion, string plural, TimeSpan maxDelay);

        [LoggerMessage(6, LogLevel.Warning, "Watch of {Resource} failed: {Reason}; listing again in {Delay}")]
        public static partial void WatchFailedBriefly(ILogger logger, string resource, string reason, TimeSpan delay);

        [LoggerMessage(7, LogLevel.Warning, "Watch of {Resource} refused: {Reason}; watching again from resourceVersion {ResourceVersion} in {Delay}")]
        public static partial void WatchRefused(ILogger logger, string resource, string reason, string resourceVersion, TimeSpan delay);

        [LoggerMessage(5, LogLevel.Information, "The API server now serves {Resource}")]
        public static partial void NowServed(ILogger logger, string resource);
    }
}
