using System.Text;

namespace Wasme.Istio.Input;

/// <summary>
/// Reads a file a user names (a manifest, an Istio resource, a test file, a configuration), bounded: a device such as
/// <c>/dev/zero</c> reports length 0 and never ends, and read whole it ran the process out of memory. A FIFO with no
/// writer blocks the open itself, which nothing can cancel, so the open runs off the caller's thread and Ctrl-C still
/// ends the command (a FIFO with a writer, as <c>-f &lt;(kustomize build)</c> gives, reads as any file).
/// </summary>
public static class InputFile
{
    /// <summary>16 MiB: ten times what a Kubernetes object may hold (etcd's 1.5 MiB request limit).</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <exception cref="InputFileException">The path is a directory, or the file holds more than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static async Task<byte[]> ReadAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InputFileException(path, "is a directory; pass the file itself");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist", path);
        }

        var open = Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true), cancellationToken);
        await using var stream = await open.WaitAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new InputFileException(path, $"is larger than {Size(maxBytes)}; pass the file itself, not a device or an archive");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The file's text, decoded as <see cref="File.ReadAllText(string)"/> does: UTF-8 unless a byte order mark says otherwise.</summary>
    /// <inheritdoc cref="ReadAsync" path="/exception"/>
    public static async Task<string> ReadTextAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(new MemoryStream(await ReadAsync(path, maxBytes, cancellationToken)), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static string Size(int bytes) => bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes} bytes";
}
