using Wasme.Cli.Infrastructure;
using Wasme.Input;
using Wasme.Signing.Verification;

namespace Wasme.Cli.Commands.Signing;

/// <summary>
/// Reads the small files signing takes (keys, Sigstore bundles, trusted roots) through <see cref="InputFile"/>, bounded:
/// a bundle or a trusted root is a few kilobytes, a key less than one, so anything past these limits is the wrong file.
/// A regular file is refused by its size before it is read; a device such as <c>/dev/zero</c>, which reports 0 bytes
/// and never ends, at the bound.
/// </summary>
internal static class SigningFiles
{
    public const int MaxKeySize = 64 * 1024;
    public const int MaxDocumentSize = VerificationPolicy.MaxTrustedRootSize;

    /// <summary>The file's text (UTF-8, a byte order mark dropped), with <see cref="ReadAsync"/>'s checks.</summary>
    public static async Task<string> ReadTextAsync(string path, string option, int maxSize, string expected, CancellationToken cancellationToken)
    {
        Check(path, option, maxSize, expected);
        try
        {
            return await InputFile.ReadTextAsync(path, maxSize, cancellationToken);
        }
        catch (Exception ex) when (Failure(path, option, expected, ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// The file's bytes; missing is exit 3, a directory or too large exit 2, each naming the option, the file and the fix.
    /// </summary>
    public static async Task<byte[]> ReadAsync(string path, string option, int maxSize, string expected, CancellationToken cancellationToken)
    {
        Check(path, option, maxSize, expected);
        try
        {
            return await InputFile.ReadAsync(path, maxSize, cancellationToken);
        }
        catch (Exception ex) when (Failure(path, option, expected, ex) is { } failure)
        {
            throw failure;
        }
    }

    private static void Check(string path, string option, int maxSize, string expected)
    {
        if (Directory.Exists(path))
        {
            throw CommandException.Usage($"{option} {path} is a directory. Give {expected}.");
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw Missing(path, option, expected);
        }

        if (file.Length > maxSize)
        {
            throw CommandException.Usage($"{option} {path} is {file.Length} bytes, more than the {maxSize} bytes allowed here: check that this is the right file. Give {expected}.");
        }
    }

    private static CommandException Missing(string path, string option, string expected) =>
        new(ExitCodes.NotFound, $"{option} {path}: no such file. Give {expected}.");

    private static CommandException? Failure(string path, string option, string expected, Exception ex) => ex switch
    {
        InputFileException input => CommandException.Usage($"{option}: {input.Message}"),
        FileNotFoundException => Missing(path, option, expected),
        IOException or UnauthorizedAccessException => new CommandException(ExitCodes.Failure, $"{option}: cannot read {path}: {ex.Message}"),
        _ => null,
    };
}
