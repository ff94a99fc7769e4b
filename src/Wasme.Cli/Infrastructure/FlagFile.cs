using Wasme.Input;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// Reads a file a flag names (<c>run --envoy-filter</c>, <c>--config-file</c>, <c>render -f</c>, <c>--workloads</c>,
/// <c>--image-facts</c>) through <see cref="InputFile"/>, bounded, its failures one line that names the flag.
/// </summary>
internal static class FlagFile
{
    /// <inheritdoc cref="InputFile.MaxBytes"/>
    public const int MaxBytes = InputFile.MaxBytes;

    /// <exception cref="CommandException">A directory or over the bound (exit 2), missing (exit 3), unreadable (exit 1).</exception>
    public static async Task<byte[]> ReadAsync(string flag, FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return await InputFile.ReadAsync(file.FullName, MaxBytes, cancellationToken);
        }
        catch (Exception ex) when (Failure(flag, file, ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>The file's text (UTF-8 unless a byte order mark says otherwise), with <see cref="ReadAsync"/>'s checks.</summary>
    public static async Task<string> ReadTextAsync(string flag, FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return await InputFile.ReadTextAsync(file.FullName, MaxBytes, cancellationToken);
        }
        catch (Exception ex) when (Failure(flag, file, ex) is { } failure)
        {
            throw failure;
        }
    }

    private static CommandException? Failure(string flag, FileInfo file, Exception ex) => ex switch
    {
        InputFileException input => CommandException.Usage($"{flag}: {input.Message}"),
        FileNotFoundException => new CommandException(ExitCodes.NotFound, $"{flag}: {ex.Message}"),
        IOException or UnauthorizedAccessException => new CommandException(ExitCodes.Failure, $"{flag}: cannot read {file.FullName}: {ex.Message}"),
        _ => null,
    };
}
