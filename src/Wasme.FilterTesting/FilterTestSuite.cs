using System.Diagnostics;
using System.IO.Enumeration;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;
using Wasme.FilterTesting.Parsing;
using Wasme.FilterTesting.Reporting;
using Wasme.Input;

namespace Wasme.FilterTesting;

/// <summary>What to run and how: the files, a case-name filter, and whether to record observed responses.</summary>
public sealed record FilterTestOptions
{
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>Runs only cases whose name contains this text (case-insensitive).</summary>
    public string? NameFilter { get; init; }

    /// <summary>Writes the observed response into failing cases' <c>then.response</c>.</summary>
    public bool Update { get; init; }
}

/// <summary>
/// Finds test files, parses them all first (a malformed file stops the run before any case), runs the cases.
/// <paramref name="writeUpdated"/> writes a file <c>--update</c> changed (path, text); by default a temp file beside it
/// renamed over it, removed if the write fails or is cancelled.
/// </summary>
public sealed class FilterTestSuite(FilterTestRunner runner, Func<string, string, CancellationToken, Task>? writeUpdated = null)
{
    /// <summary>Test files under the given paths: files as named, directories searched for *.yaml and *.yml.</summary>
    /// <exception cref="FileNotFoundException">A path does not exist, or a directory holds no test file.</exception>
    public static IReadOnlyList<string> Discover(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = TestFilesUnder(path)
                    .Where(f => !f.Split(Path.DirectorySeparatorChar).Contains("node_modules", StringComparer.Ordinal))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                files.AddRange(found.Count > 0 ? found : throw new FileNotFoundException($"{path} holds no test file (*.yaml); write one as docs/testing-filters.md shows"));
            }
            else
            {
                throw new FileNotFoundException($"{path} does not exist; pass test files or directories (default: ./tests)");
            }
        }

        return files;
    }

    /// <summary>
    /// *.yaml and *.yml files under <paramref name="directory"/>, linked files included. Links to directories are not
    /// followed, as find does not: one back up the tree (<c>up -&gt; ..</c>) ran every test once per level until the path grew too long.
    /// </summary>
    private static FileSystemEnumerable<string> TestFilesUnder(string directory) =>
        new(directory, (ref entry) => entry.ToSpecifiedFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref entry) => !entry.IsDirectory &&
                (entry.FileName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || entry.FileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)),
            ShouldRecursePredicate = (ref entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    /// <exception cref="FilterTestFileException">A file is malformed; nothing was run.</exception>
    /// <exception cref="FileNotFoundException">A path, or a module a selected case names, is not there; nothing was run.</exception>
    public async Task<IReadOnlyList<FileResult>> RunAsync(FilterTestOptions options, Action<string, CaseResult>? onCase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var parsed = new List<FilterTestFile>();
        foreach (var path in Discover(options.Paths))
        {
            string text;
            try
            {
                text = await InputFile.ReadTextAsync(path, InputFile.MaxBytes, cancellationToken);
            }
            catch (InputFileException e)
            {
                throw new FilterTestFileException(path, 1, 1, $"this file {e.Problem}");
            }
            catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
            {
                throw new FilterTestsStoppedException(path, ex);
            }

            parsed.Add(FilterTestParser.Parse(path, text));
        }

        var selected = parsed.Select(file => (File: file, Cases: file.Cases
                .Where(c => options.NameFilter is null || c.Name.Contains(options.NameFilter, StringComparison.OrdinalIgnoreCase))
                .ToList())).ToList();
        RefuseMissingModules(selected);
        var total = selected.Sum(s => s.Cases.Count);
        var finished = 0;
        var results = new List<FileResult>();
        foreach (var (file, cases) in selected)
        {
            var caseResults = new List<CaseResult>();
            foreach (var testCase in cases)
            {
                CaseResult result;
                try
                {
                    result = await runner.RunAsync(testCase, cancellationToken);
                }
                catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
                {
                    throw new FilterTestsStoppedException(file.Path, testCase.Name, testCase.Line, finished, total, [.. results, new FileResult(file.Path, caseResults)], ex);
                }

                finished++;
                caseResults.Add(result);
                onCase?.Invoke(file.Path, result);
            }

            results.Add(new FileResult(file.Path, caseResults));
            if (options.Update && ExpectationUpdater.Update(file, cases, caseResults) is { } updated)
            {
                RefuseUnreadable(file.Path, updated);
                if (await UnchangedSinceReadAsync(file, updated, cancellationToken))
                {
                    await (writeUpdated ?? WriteUpdatedAsync)(file.Path, updated, cancellationToken);
                }
            }
        }

        return results;
    }

    /// <exception cref="FileNotFoundException">A case names a module file that is not there: found before any case runs, so nothing is reported or updated for a run that cannot finish.</exception>
    private static void RefuseMissingModules(IEnumerable<(FilterTestFile File, List<FilterTestCase> Cases)> selected)
    {
        foreach (var (file, cases) in selected)
        {
            foreach (var testCase in cases)
            {
                if (testCase.Given.Filters.FirstOrDefault(f => f.Module is not null && !File.Exists(f.Module)) is { } missing)
                {
                    throw new FileNotFoundException(
                        $"module {missing.Module} does not exist (case '{testCase.Name}', {file.Path}:{testCase.Line}); build the filter first (wasme build) or fix module: in the test file",
                        missing.Module);
                }
            }
        }
    }

    /// <summary>What <c>--update</c> writes must read back: a layout the in-place edit gets wrong stops the run, file untouched.</summary>
    private static void RefuseUnreadable(string path, string updated)
    {
        try
        {
            FilterTestParser.Parse(path, updated);
        }
        catch (FilterTestFileException ex)
        {
            throw new FilterTestFileException(path, ex.Line, ex.Column,
                $"--update would leave this file unreadable ({ex.Problem}); nothing was written: write the failing cases' then.response by hand");
        }
    }

    /// <summary>
    /// Whether <paramref name="updated"/> is to be written: the file still holds what was read. Written over an edit saved
    /// while the cases ran, it would lose the edit; text another <c>--update</c> already wrote needs no second write.
    /// </summary>
    /// <exception cref="FilterTestFileChangedException">The file holds other text now, or is gone.</exception>
    private static async Task<bool> UnchangedSinceReadAsync(FilterTestFile file, string updated, CancellationToken cancellationToken)
    {
        string now;
        try
        {
            now = await InputFile.ReadTextAsync(file.Path, InputFile.MaxBytes, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InputFileException)
        {
            throw new FilterTestFileChangedException(file.Path);
        }

        return now == file.Text || (now == updated ? false : throw new FilterTestFileChangedException(file.Path));
    }

    private static async Task WriteUpdatedAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.wasme-update";
        try
        {
            await File.WriteAllTextAsync(temporary, text, cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Elapsed time helper for reports.</summary>
    public static TimeSpan Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp);
}
