using System.Text;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Testing;

/// <summary>
/// Writes a test file <c>wasme test --update</c> changed, through <see cref="OutputFiles"/> (a link stays a link, a kill
/// leaves the old file or the new one), with the file's own mode: the new file is a rename over the old, which made a
/// private file readable by all. A read-only file is left as it is: a rename would replace it all the same.
/// </summary>
internal static class UpdatedTestFiles
{
    /// <exception cref="CommandException">The file is read-only, or cannot be written (exit 1); nothing was changed.</exception>
    public static async Task WriteAsync(string path, string text, CancellationToken cancellationToken)
    {
        var target = OutputFiles.Target(path);
        if (new FileInfo(target).IsReadOnly)
        {
            throw new CommandException(ExitCodes.Failure,
                $"{path} is read-only, so --update wrote nothing to it; make it writable (chmod u+w {path}) and run again, or write the failing cases' then.response by hand");
        }

        UnixFileMode? mode = OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(target);
        await OutputFiles.WriteAsync(path, Encoding.UTF8.GetBytes(text), mode, cancellationToken);
    }
}
