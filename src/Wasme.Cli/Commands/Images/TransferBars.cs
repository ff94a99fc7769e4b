using Spectre.Console;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Images;

/// <summary>One Spectre progress bar per blob (bytes sent or received), for a terminal.</summary>
internal sealed class TransferBars(ProgressContext progress, string verb) : IProgress<TransferProgress>
{
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Report(TransferProgress value)
    {
        var digest = value.Digest.ToString();
        lock (_gate)
        {
            if (!_tasks.TryGetValue(digest, out var task))
            {
                task = progress.AddTask(Describe(verb, value), maxValue: Math.Max(1, value.Total));
                _tasks[digest] = task;
            }

            if (value.State is TransferState.Started or TransferState.InProgress)
            {
                task.Value = value.Transferred;
                return;
            }

            task.Description = Describe(TransferReporter.Outcome(value.State, verb), value);
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    private static string Describe(string what, TransferProgress value) =>
        Markup.Escape($"{what} {TransferReporter.Short(value.Digest.ToString())} ({ShortType(value.MediaType)})");

    // "application/vnd.module.wasm.content.layer.v1+wasm" is too wide for a bar's label; the tail says enough.
    private static string ShortType(string mediaType)
    {
        var slash = mediaType.LastIndexOf('/');
        return slash >= 0 ? mediaType[(slash + 1)..] : mediaType;
    }
}
