using System.Globalization;
using System.Text;
using Wasme.Cache.Storage;

namespace Wasme.Cache;

/// <summary>Counters the daemon exposes on <c>/metrics</c> in the Prometheus text format.</summary>
public sealed class CacheMetrics
{
    private long _hits;
    private long _misses;
    private long _fetches;
    private long _fetchFailures;
    private long _evictions;

    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);
    public long Fetches => Interlocked.Read(ref _fetches);
    public long FetchFailures => Interlocked.Read(ref _fetchFailures);
    public long Evictions => Interlocked.Read(ref _evictions);

    internal void RecordHit() => Interlocked.Increment(ref _hits);
    internal void RecordMiss() => Interlocked.Increment(ref _misses);
    internal void RecordFetch() => Interlocked.Increment(ref _fetches);
    internal void RecordFetchFailure() => Interlocked.Increment(ref _fetchFailures);
    internal void RecordEviction() => Interlocked.Increment(ref _evictions);

    public string RenderPrometheus(ModuleDirectory directory)
    {
        var text = new StringBuilder();
        Append(text, "wasme_cache_entries", "gauge", "Modules held in the node directory.", directory.Count);
        Append(text, "wasme_cache_bytes", "gauge", "Bytes of modules held in the node directory.", directory.TotalBytes);
        Append(text, "wasme_cache_hits_total", "counter", "HTTP requests answered with a held module.", Hits);
        Append(text, "wasme_cache_misses_total", "counter", "HTTP requests for a module not held (404).", Misses);
        Append(text, "wasme_cache_fetches_total", "counter", "Module fetches from a registry that completed.", Fetches);
        Append(text, "wasme_cache_fetch_failures_total", "counter", "Module fetches that failed (network, auth or integrity).", FetchFailures);
        Append(text, "wasme_cache_evictions_total", "counter", "Modules removed because nothing referenced them.", Evictions);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string type, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
