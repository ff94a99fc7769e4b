using System.Collections.Concurrent;

namespace Wasme.Proxy.Chain;

/// <summary>The proxy's own counters, shown on the admin endpoint next to the filters' metrics.</summary>
public sealed class ProxyMetrics
{
    private readonly ConcurrentDictionary<string, StrongBox> _filterFailures = new(StringComparer.Ordinal);
    private long _requests;
    private long _localReplies;
    private long _upstreamErrors;

    public long Requests => Interlocked.Read(ref _requests);

    public long LocalReplies => Interlocked.Read(ref _localReplies);

    public long UpstreamErrors => Interlocked.Read(ref _upstreamErrors);

    public IEnumerable<KeyValuePair<string, long>> FilterFailures =>
        _filterFailures.Select(pair => new KeyValuePair<string, long>(pair.Key, Interlocked.Read(ref pair.Value.Value)));

    internal void RequestStarted() => Interlocked.Increment(ref _requests);

    internal void LocalReplySent() => Interlocked.Increment(ref _localReplies);

    internal void UpstreamFailed() => Interlocked.Increment(ref _upstreamErrors);

    internal void FilterFailed(string filter) =>
        Interlocked.Increment(ref _filterFailures.GetOrAdd(filter, static _ => new StrongBox()).Value);

    private sealed class StrongBox
    {
        public long Value;
    }
}
