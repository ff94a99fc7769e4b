using Spectre.Console;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary>
/// Blob transfers as plain lines on stderr, one per finished blob: what happened, short digest,
/// size and media type. Used when stderr is not a terminal (logs, pipes, CI), so scripts may rely on it.
/// </summary>
internal sealed class TransferReporter(CliContext context, string verb) : IProgress<TransferProgress>
{
    // Blobs transfer at once: one whole line at a time.
    private readonly Lock _gate = new();

    public void Report(TransferProgress value)
    {
        if (value.State is TransferState.Started or TransferState.InProgress)
        {
            return;
        }

        lock (_gate)
        {
            context.Error.WriteLine($"{Outcome(value.State, verb)} {Short(value.Digest.ToString())} {Sizes.Format(value.Total)} ({value.MediaType})", Style.Plain);
        }
    }

    /// <summary>The word for a finished blob: the verb (pulled, pushed), or why nothing was sent.</summary>
    public static string Outcome(TransferState state, string verb) => state switch
    {
        TransferState.Skipped => "exists",
        TransferState.Mounted => "mounted",
        _ => verb,
    };

    public static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
