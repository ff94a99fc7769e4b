using System.Text;
using System.Text.Unicode;

namespace Wasme.Input;

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

        var open = Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true), CancellationToken.None);
        FileStream opened;
        try
        {
            opened = await open.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Abandoned: should a writer come later, close what the open returns.
            _ = open.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        await using var stream = opened;
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

    /// <summary>
    /// The file's text: UTF-8 (a byte order mark dropped), or UTF-16 or UTF-32 where a byte order mark says so, as
    /// <see cref="File.ReadAllText(string)"/> reads. Bytes that are not UTF-8 are refused rather than replaced with
    /// U+FFFD as File.ReadAllText does: the text would differ from the file unseen, and <c>wasme test --update</c>
    /// writing it back would lose the original bytes. YAML is Unicode text; kubectl refuses such bytes too.
    /// </summary>
    /// <inheritdoc cref="ReadAsync" path="/exception"/>
    public static async Task<string> ReadTextAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        var bytes = await ReadAsync(path, maxBytes, cancellationToken);
        if (bytes.AsSpan().StartsWith((byte[])[0xFE, 0xFF]) || bytes.AsSpan().StartsWith((byte[])[0xFF, 0xFE]))
        {
            using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return await reader.ReadToEndAsync(cancellationToken);
        }

        var text = bytes.AsSpan(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0);
        if (!Utf8.IsValid(text))
        {
            var valid = ValidPrefixLength(text);
            var line = text[..valid].Count((byte)'\n') + 1;
            throw new InputFileException(path, $"is not UTF-8 text: line {line} holds the byte 0x{text[valid]:X2}, which starts no UTF-8 character; save the file as UTF-8");
        }

        return Encoding.UTF8.GetString(text);
    }

    private static int ValidPrefixLength(ReadOnlySpan<byte> text)
    {
        var chars = new char[text.Length];
        _ = Utf8.ToUtf16(text, chars, out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    private static string Size(int bytes) => bytes switch
    {
        _ when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        _ when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} bytes",
    };
}
