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
        Check(path, option, maxSize, expected);
        return File.ReadAllText(path);
    }

    /// <summary>The file's bytes; a usage error (exit 2) naming the option, the file and the fix when it is missing or too large.</summary>
    public static byte[] Read(string path, string option, long maxSize, string expected)
    {
        Check(path, option, maxSize, expected);
        return File.ReadAllBytes(path);
    }

    private static void Check(string path, string option, long maxSize, string expected)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw CommandException.Usage($"{option} {path}: no such file. Give {expected}.");
        }

        if (file.Length > maxSize)
        {
            throw CommandException.Usage($"{option} {path} is {file.Length} bytes, more than the {maxSize} any {expected} needs: check that this is the right file.");
        }
    }
}
