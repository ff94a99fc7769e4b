using System.Globalization;
using Wasme.FilterTesting.Execution;

namespace Wasme.FilterTesting.Reporting;

/// <summary>The human report: a line per case, and under each failure what was expected and what happened.</summary>
public static class TextReport
{
    public static void WriteCase(TextWriter writer, string file, CaseResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var millis = result.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        writer.WriteLine($"{(result.Passed ? "PASS" : "FAIL")}  {file}:{result.Line}  {result.Name}  ({millis} ms)");
        if (result.Error is { } error)
        {
            // A trap's reason runs over several lines (the wasm backtrace): each stays under its case.
            writer.WriteLine($"      {error.TrimEnd().Replace("\n", "\n      ", StringComparison.Ordinal)}");
        }

        foreach (var mismatch in result.Mismatches)
        {
            writer.WriteLine($"      {mismatch.Subject}");
            writer.WriteLine($"        expected: {Indent(mismatch.Expected)}");
            writer.WriteLine($"        actual:   {Indent(mismatch.Actual)}");
            if (mismatch.Diff is { } diff)
            {
                foreach (var line in diff.TrimEnd('\n').Split('\n'))
                {
                    writer.WriteLine($"        {line}");
                }
            }
        }
    }

    public static void WriteSummary(TextWriter writer, IReadOnlyList<FileResult> files, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(files);
        var all = files.SelectMany(f => f.Cases).ToList();
        var failed = all.Count(c => !c.Passed);
        writer.WriteLine();
        writer.WriteLine($"{all.Count - failed} passed, {failed} failed ({files.Count} file{(files.Count == 1 ? "" : "s")}, {elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s)");
    }

    private static string Indent(string text) => text.Replace("\n", "\n                  ", StringComparison.Ordinal);
}
