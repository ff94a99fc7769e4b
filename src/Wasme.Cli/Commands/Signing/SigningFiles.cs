using System.Text;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Signing;

/// <summary>
/// Reads the small files signing takes (keys, Sigstore bundles, trusted roots), bounded: a bundle or a trusted root is
/// a few kilobytes, a key less than one, so anything past these limits is the wrong file and is refused before it
/// is read into memory.
/// </summary>
internal static class SigningFiles
{
    public const long MaxKeySize = 64 * 1024;
    public const long MaxDocumentSize = 4 * 1024 * 1024;

    /// <summary>The file's text (a byte order mark dropped), with <see cref="Read"/>'s checks.</summary>
    public static string ReadText(string path, string option, long maxSize, string expected)
    {
        using var reader = new StreamReader(new MemoryStream(Read(path, option, maxSize, expected)), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The file's bytes; a usage error (exit 2) naming the option, the file and the fix when it is missing, a directory or too large.</summary>
    public static byte[] Read(string path, string option, long maxSize, string expected)
    {
        if (Directory.Exists(path))
        {
            throw CommandException.Usage($"{option} {path} is a directory. Give {expected}.");
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw CommandException.Usage($"{option} {path}: no such file. Give {expected}.");
        }

        if (file.Length > maxSize)
        {
            throw CommandException.Usage($"{option} {path} is {file.Length} bytes, more than the {maxSize} any {expected} needs: check that this is the right file.");
        }

        // The length above is 0 for a device or a pipe (/dev/zero, <(…)), which may never end: the bound holds while reading too.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        var content = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            if (content.Length + read > maxSize)
            {
                throw CommandException.Usage($"{option} {path} holds more than the {maxSize} bytes any {expected} needs (it is not a regular file, or grew while read): check that this is the right file.");
            }

            content.Write(buffer, 0, read);
        }

        return content.ToArray();
    }
}
