using Spectre.Console;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary>
/// How pull and push show blob transfers: progress bars (bytes per blob) on a terminal, plain lines
/// on stderr otherwise, nothing with <c>--quiet</c>. Standard output keeps only the result.
/// </summary>
internal static class TransferDisplay
{
    public static async Task<T> RunAsync<T>(CliContext context, bool quiet, string verb, Func<IProgress<TransferProgress>?, Task<T>> transfer)
    {
        if (quiet)
        {
            return await transfer(null);
        }

        if (!context.IsInteractive || !context.Error.Profile.Capabilities.Ansi)
        {
            return await transfer(new TransferReporter(context, verb));
        }

        return await context.Error.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(progress => transfer(new TransferBars(progress, verb)));
    }
}
