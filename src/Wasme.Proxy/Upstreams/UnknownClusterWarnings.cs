using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Upstreams;

/// <summary>
/// Warns once per cluster name a filter called out to that no <c>--cluster</c> names: the filter only sees an error
/// status, the operator needs the name and the flag. The names are the filter's own: at most <see cref="MaxNames"/> are
/// remembered (a filter calling out under a fresh name each time would otherwise grow the set and the log without
/// bound), and each is shown escaped and cut, so a name cannot forge log lines.
/// </summary>
internal sealed partial class UnknownClusterWarnings(ILogger logger, string call)
{
    public const int MaxNames = 64;
    private const int MaxShownChars = 256;
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.Ordinal);
    private int _full;

    public void Warn(string cluster)
    {
        if (_warned.ContainsKey(cluster))
        {
            return;
        }

        if (_warned.Count >= MaxNames)
        {
            if (Interlocked.Exchange(ref _full, 1) == 0)
            {
                LogTooMany(logger, call, MaxNames);
            }

            return;
        }

        if (_warned.TryAdd(cluster, true))
        {
            var shown = GuestLogText.Show(cluster, MaxShownChars);
            LogUnknown(logger, call, shown);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "A filter's {Call} to cluster '{Cluster}' was refused: no such cluster; pass --cluster {Cluster}=URL to name its upstream")]
    private static partial void LogUnknown(ILogger logger, string call, string cluster);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Filters made {Call}s to {Count} clusters that no --cluster names; calls to further unknown names are refused without a warning")]
    private static partial void LogTooMany(ILogger logger, string call, int count);
}
