using Wasme.FilterTesting.Reporting;

namespace Wasme.FilterTesting.Execution;

/// <summary>
/// The run was cancelled while a case ran (Ctrl-C, or the caller's time limit): which case, and how far the run got.
/// Still an <see cref="OperationCanceledException"/>, so a caller that only knows cancellation treats it as one.
/// </summary>
public sealed class FilterTestsStoppedException : OperationCanceledException
{
    public FilterTestsStoppedException()
    {
    }

    public FilterTestsStoppedException(string message)
        : base(message)
    {
    }

    public FilterTestsStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FilterTestsStoppedException(string file, string caseName, int caseLine, int finished, int total, IReadOnlyList<FileResult> results, OperationCanceledException innerException)
        : base($"stopped during '{caseName}' ({file}:{caseLine}); {finished} of {total} cases had finished", innerException, innerException?.CancellationToken ?? default)
    {
        Results = results;
        File = file;
        CaseName = caseName;
        CaseLine = caseLine;
        Finished = finished;
        Total = total;
    }

    /// <summary>Stopped while <paramref name="file"/> was read, before any case ran (a named pipe waits for a writer).</summary>
    public FilterTestsStoppedException(string file, OperationCanceledException innerException)
        : base($"stopped while reading {file}, before any case ran", innerException, innerException?.CancellationToken ?? default)
    {
        File = file;
    }

    /// <summary>The test file of the case under way, or the file being read when <see cref="CaseName"/> is null.</summary>
    public string? File { get; }

    /// <summary>The case under way; null when the run stopped while reading the test files.</summary>
    public string? CaseName { get; }

    public int CaseLine { get; }

    public int Finished { get; }

    public int Total { get; }

    /// <summary>The cases that finished, by file (the stopped case's file last, with the cases before it): a report can still be written.</summary>
    public IReadOnlyList<FileResult> Results { get; } = [];
}
