using System.Globalization;

namespace Wasme.Proxy.Hosting;

/// <summary>
/// Keeps the connection limits inside the process's open-file limit: every proxied connection holds two descriptors
/// (the client's and the upstream's), and a process that runs out of them fails where it cannot recover (the runtime
/// ends it), so a flood of clients must meet a connection limit first.
/// </summary>
public static class OpenFileBudget
{
    /// <summary>
    /// Descriptors left for the rest of the process: the runtime (a JIT build holds about 180 open for its assemblies
    /// alone), listeners, compiled-module files, clusters.
    /// </summary>
    public const int Reserved = 512;

    /// <summary>The connection limit that fits <paramref name="openFileLimit"/> (unchanged when that is unknown), at least 1.</summary>
    public static int FitConnections(int maxConnections, long? openFileLimit)
    {
        if (openFileLimit is not { } limit)
        {
            return maxConnections;
        }

        var fits = Math.Max(1, (limit - Reserved) / 2);
        return (int)Math.Min(maxConnections, fits);
    }

    /// <summary>The soft limit on open files (<c>ulimit -n</c>) from <c>/proc/self/limits</c>; null where there is none (not Linux) or it is unlimited.</summary>
    public static long? ReadLimit()
    {
        const string path = "/proc/self/limits";
        if (!OperatingSystem.IsLinux() || !File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            // "Max open files            1024                 4096                 files"
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }

        return null;
    }
}
