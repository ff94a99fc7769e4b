using Spectre.Console;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary>
/// Shows blob transfers: one plain line per finished blob when output is not a terminal, nothing
/// with <c>--quiet</c>. (A terminal gets the same lines; they are few and short for Wasm images.)
/// </summary>
internal sealed class TransferReporter(CliContext context, bool quiet, string verb) : IProgress<TransferProgress>
{
    public void Report(TransferProgress value)
    {
        if (quiet || value.State is TransferState.Started or TransferState.InProgress)
        {
            return;
        }

        var what = value.State switch
        {
            TransferState.Skipped => "exists",
            TransferState.Mounted => "mounted",
            _ => verb,
        };
        context.Error.WriteLine($"{what} {Short(value.Digest.ToString())} {Sizes.Format(value.Total)} ({value.MediaType})", Style.Plain);
    }

    public static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
