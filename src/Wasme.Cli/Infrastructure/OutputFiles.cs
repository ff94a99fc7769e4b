namespace Wasme.Cli.Infrastructure;

/// <summary>
/// Files a command writes for the user outside the image store (key pairs, Sigstore bundles). Each is written to a
/// hidden temp file beside its target (<c>.NAME.&lt;id&gt;.tmp</c>), flushed to disk and renamed over the target, so a
/// kill, a full disk or a power cut leaves the old file or the whole new one, never a torn one. The temp file is held
/// locked while it is written; one a killed run left is removed by the next write to the same target.
/// </summary>
internal static class OutputFiles
{
    private const string TempSuffix = ".tmp";

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, replacing what is there; see the type.</summary>
    /// <exception cref="CommandException">The file cannot be written (exit 1), naming it and the fix; nothing was changed.</exception>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode? unixMode, CancellationToken cancellationToken)
    {
        if (IsSpecialFile(path))
        {
            // /dev/stdout, a named pipe: there is nothing to replace, and renaming over a device would remove it.
            await Guard(path, () => File.WriteAllBytesAsync(path, content.ToArray(), cancellationToken));
            return;
        }

        var target = Target(path);
        var staged = await StageAsync(target, content, unixMode, cancellationToken);
        try
        {
            Commit(staged, target);
        }
        finally
        {
            Discard(staged);
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a new temp file beside <paramref name="path"/> and flushes it to disk;
    /// <see cref="Commit"/> then puts it in place. Removes temp files a killed run left for the same target first.
    /// </summary>
    public static async Task<string> StageAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode? unixMode, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        RemoveAbandoned(full);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
        await Guard(path, async () =>
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (unixMode is { } mode && !OperatingSystem.IsWindows())
                {
                    // Created with its final mode: a private key is never readable by others, not even as a temp file.
                    options.UnixCreateMode = mode;
                }

                await using var stream = new FileStream(temp, options);
                await stream.WriteAsync(content, cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            catch
            {
                Discard(temp);
                throw;
            }
        });
        return temp;
    }

    /// <summary>Renames a file from <see cref="StageAsync"/> over <paramref name="path"/>.</summary>
    public static void Commit(string staged, string path) => Guard(path, () => File.Move(staged, path, overwrite: true));

    /// <summary>Removes a staged file that will not be committed (already gone after a commit).</summary>
    public static void Discard(string staged)
    {
        try
        {
            File.Delete(staged);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed by the next write to the same target.
        }
    }

    /// <summary>Deletes <paramref name="path"/> when it is there, with the same error as a failed write.</summary>
    public static void Delete(string path) => Guard(path, () => File.Delete(path));

    /// <summary>
    /// Where a write to <paramref name="path"/> goes: the final target of a symbolic link (renaming over the link would
    /// cut it, and dotfiles managers link such files), else the path itself.
    /// </summary>
    public static string Target(string path)
    {
        var full = Path.GetFullPath(path);
        return new FileInfo(full).LinkTarget is null ? full : File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
    }

    /// <summary>A device or process file (<c>/dev/stdout</c>, <c>/dev/fd/3</c>), itself or through links.</summary>
    private static bool IsSpecialFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        var full = Path.GetFullPath(path);
        return IsUnder(full, "/dev/") || IsUnder(full, "/proc/") || IsUnder(Target(full), "/dev/") || IsUnder(Target(full), "/proc/");
    }

    private static bool IsUnder(string path, string directory) => path.StartsWith(directory, StringComparison.Ordinal);

    /// <summary>
    /// Temp files of <paramref name="full"/> that no live writer holds: a killed run's. A writer holds its temp file
    /// locked until it is renamed, so this never takes one being written.
    /// </summary>
    private static void RemoveAbandoned(string full)
    {
        IEnumerable<string> leftovers;
        try
        {
            leftovers = Directory.EnumerateFiles(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.*{TempSuffix}").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var leftover in leftovers)
        {
            var id = Path.GetFileName(leftover)[(Path.GetFileName(full).Length + 2)..^TempSuffix.Length];
            if (id.Length != 32 || !Guid.TryParseExact(id, "N", out _))
            {
                continue;
            }

            try
            {
                using var held = new FileStream(leftover, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                File.Delete(leftover);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Held by a live writer, or gone.
            }
        }
    }

    private static void Guard(string path, Action write) => Guard(path, () =>
    {
        write();
        return Task.CompletedTask;
    }).GetAwaiter().GetResult();

    private static async Task Guard(string path, Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandException(
                $"Cannot write {path}: {ex.Message.TrimEnd('.', ' ')}. Nothing was changed in it. Check that it is a file (not a directory) in a directory you may write, and that the disk has room.",
                ex);
        }
    }
}
