using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Run;

/// <summary>
/// Reads a file a <c>wasme run</c> flag names (<c>--envoy-filter</c>, <c>--config-file</c>, <c>--vm-config-file</c>),
/// bounded: a device such as /dev/zero reports length 0 and never ends, and read whole it ran the process out of memory.
/// </summary>
internal static class RunInputFile
{
    /// <summary>16 MiB: ten times what a Kubernetes object (an EnvoyFilter or WasmPlugin) may hold.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <exception cref="CommandException">A directory or over the bound (exit 2), missing (exit 3), unreadable (exit 1).</exception>
    public static async Task<byte[]> ReadAsync(string flag, FileInfo file, CancellationToken cancellationToken)
    {
        if (Directory.Exists(file.FullName))
        {
            throw CommandException.Usage($"{flag}: {file.FullName} is a directory; pass the file itself");
        }

        if (!file.Exists)
        {
            throw new CommandException(ExitCodes.NotFound, $"{flag}: {file.FullName} does not exist");
        }

        try
        {
            await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    throw CommandException.Usage($"{flag}: {file.FullName} is larger than {MaxBytes / (1024 * 1024)} MiB; pass the file itself, not a device or an archive");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandException(ExitCodes.Failure, $"{flag}: cannot read {file.FullName}: {ex.Message}");
        }
    }
}
