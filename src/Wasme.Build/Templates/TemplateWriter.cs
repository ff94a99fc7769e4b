namespace Wasme.Build.Templates;

/// <summary>
/// Writes a template into a directory, all or nothing: files go to a temporary sibling directory
/// first and are moved into place only when every one was written.
/// </summary>
public static class TemplateWriter
{
    /// <returns>The relative paths written.</returns>
    /// <exception cref="TemplateTargetNotEmptyException">The directory has files and <paramref name="overwrite"/> is false.</exception>
    public static async Task<IReadOnlyList<string>> WriteAsync(FilterTemplate template, string directory, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(template);
        var target = Path.GetFullPath(directory);
        if (File.Exists(target))
        {
            throw new TemplateTargetNotEmptyException($"{target} is a file; choose a directory path");
        }

        var targetExists = Directory.Exists(target);
        if (targetExists && !overwrite && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new TemplateTargetNotEmptyException(
                $"{target} is not empty; choose a new directory, or pass --force to write the template files over it (other files are kept)");
        }

        var parent = Path.GetDirectoryName(target) ?? throw new TemplateTargetNotEmptyException($"{target} has no parent directory");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.wasme-init-{Guid.NewGuid():N}");
        try
        {
            foreach (var file in template.Files)
            {
                var path = Path.Combine(staging, file.RelativePath.Replace('/', Path.DirectorySeparatorChar));
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
                var destination = Path.Combine(target, file.RelativePath.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Move(Path.Combine(staging, file.RelativePath.Replace('/', Path.DirectorySeparatorChar)), destination, overwrite: true);
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
}
