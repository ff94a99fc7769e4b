using Wasme.Build.Scratch;

namespace Wasme.Build.Templates;

/// <summary>
/// Writes a template into a directory, all or nothing: files go to a temporary sibling directory
/// (<c>.NAME.wasme-init-PID-ID</c>) first and are moved into place only when every one was written. A staging
/// directory a killed init left is removed by the next init of the same path.
/// </summary>
public static class TemplateWriter
{
    /// <returns>The relative paths written.</returns>
    /// <exception cref="TemplateTargetNotEmptyException">
    /// The directory has files and <paramref name="overwrite"/> is false, a template path in it is a symbolic link,
    /// or it cannot be created or written.
    /// </exception>
    public static async Task<IReadOnlyList<string>> WriteAsync(FilterTemplate template, string directory, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(template);
        // `my-filter/` (as shell completion writes it) names my-filter; untrimmed, its "parent" would be itself.
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        try
        {
            return await WriteCheckedAsync(template, target, overwrite, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A parent that is a file, a read-only or full disk: the user's to fix, not a bug.
            throw new TemplateTargetNotEmptyException($"cannot write the project to {target}: {ex.Message}; choose a directory you can write to", ex);
        }
    }

    /// <summary>
    /// Refuses a directory <see cref="WriteAsync"/> would refuse for what is in it (a file, or files without
    /// <paramref name="overwrite"/>), so a caller can say so before asking the user anything.
    /// </summary>
    /// <exception cref="TemplateTargetNotEmptyException">The path is a file, or a non-empty directory without <paramref name="overwrite"/>.</exception>
    public static void EnsureUsable(string directory, bool overwrite)
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        try
        {
            RefuseUnusable(target, overwrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TemplateTargetNotEmptyException($"cannot write the project to {target}: {ex.Message}; choose a directory you can write to", ex);
        }
    }

    private static void RefuseUnusable(string target, bool overwrite)
    {
        if (File.Exists(target))
        {
            throw new TemplateTargetNotEmptyException($"{target} is a file; choose a directory path");
        }

        if (Directory.Exists(target) && !overwrite && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new TemplateTargetNotEmptyException(
                $"{target} is not empty; choose a new directory, or pass --force to write the template files over it (other files are kept)");
        }
    }

    private static async Task<IReadOnlyList<string>> WriteCheckedAsync(FilterTemplate template, string target, bool overwrite, CancellationToken cancellationToken)
    {
        RefuseUnusable(target, overwrite);
        var targetExists = Directory.Exists(target);

        if (targetExists)
        {
            RefuseLinkedDirectories(template, target);
        }

        var parent = Path.GetDirectoryName(target) ?? throw new TemplateTargetNotEmptyException($"{target} has no parent directory");
        Directory.CreateDirectory(parent);
        // A killed init leaves its staging directory (a whole hidden copy of the project) beside the target.
        ScratchDirectory.RemoveAbandoned(parent, StagingPrefix(Path.GetFileName(target)));
        var staging = Path.Combine(parent, $"{StagingPrefix(Path.GetFileName(target))}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            foreach (var file in template.Files)
            {
                var path = Path.Combine(staging, Native(file.RelativePath));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, file.Content, cancellationToken);
            }

            if (!targetExists)
            {
                Directory.Move(staging, target);
                return [.. template.Files.Select(f => f.RelativePath)];
            }

            foreach (var file in template.Files)
            {
                var destination = Path.Combine(target, Native(file.RelativePath));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Move(Path.Combine(staging, Native(file.RelativePath)), destination, overwrite: true);
            }

            return [.. template.Files.Select(f => f.RelativePath)];
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static string StagingPrefix(string name) => $".{name}.wasme-init-";

    /// <summary>
    /// With --force, a directory of the template (<c>src/</c>) that is a symbolic link would have the template's
    /// files written wherever it points, outside the project. A link at a file's own path is safe: the move replaces the link.
    /// </summary>
    private static void RefuseLinkedDirectories(FilterTemplate template, string target)
    {
        foreach (var file in template.Files)
        {
            var segments = file.RelativePath.Split('/');
            var path = target;
            foreach (var segment in segments[..^1])
            {
                path = Path.Combine(path, segment);
                var info = new DirectoryInfo(path);
                if (info.LinkTarget is { } link)
                {
                    throw new TemplateTargetNotEmptyException(
                        $"{path} is a symbolic link (to {link}); init writes only inside {target}: remove the link, or choose a new directory");
                }

                if (!info.Exists)
                {
                    break;
                }
            }
        }
    }

    private static string Native(string relativePath) => relativePath.Replace('/', Path.DirectorySeparatorChar);
}
