using System.Diagnostics;
using System.Globalization;

namespace Wasme.Build.Scratch;

/// <summary>
/// A working directory for one run (a build's output, a test run's compiled modules), removed when the run ends. A
/// killed run cannot remove its own, so each is named after its process (<c>PREFIX-PID-XXXXXX</c>) and the next run
/// with the same prefix removes those whose process is gone. One of a run still going is left alone.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    private ScratchDirectory(string path) => Path = path;

    public string Path { get; }

    /// <param name="prefix">Names what the directory is for, e.g. <c>wasme-build-</c>.</param>
    public static ScratchDirectory Create(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        RemoveAbandoned(System.IO.Path.GetTempPath(), prefix);
        return new ScratchDirectory(Directory.CreateTempSubdirectory($"{prefix}{Environment.ProcessId}-").FullName);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed by the next run with the same prefix once this process is gone.
        }
    }

    /// <summary>Removes the directories in <paramref name="parent"/> named <c>PREFIX-PID-…</c> whose process is gone.</summary>
    public static void RemoveAbandoned(string parent, string prefix)
    {
        IEnumerable<DirectoryInfo> candidates;
        try
        {
            candidates = new DirectoryInfo(parent).EnumerateDirectories(prefix + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var candidate in candidates)
        {
            if (candidate.LinkTarget is not null || !IsAbandoned(candidate.Name[prefix.Length..]))
            {
                continue;
            }

            try
            {
                candidate.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's (the system temp directory is shared), or removed at the same moment by another run.
            }
        }
    }

    /// <summary>Whether a name's <c>PID-…</c> tail names a process that is not running. Any other name is not ours.</summary>
    private static bool IsAbandoned(string tail)
    {
        var separator = tail.IndexOf('-', StringComparison.Ordinal);
        return separator > 0
            && separator < tail.Length - 1
            && int.TryParse(tail.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
            && !IsRunning(processId);
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
