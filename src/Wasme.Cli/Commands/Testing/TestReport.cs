using System.Text.Json.Serialization;
using Wasme.FilterTesting.Reporting;

namespace Wasme.Cli.Commands.Testing;

/// <summary><c>wasme test -o json</c>: every case of every file, whether it passed, and why not (docs/cli.md).</summary>
internal sealed record TestReport(
    [property: JsonPropertyName("passed")] bool Passed,
    [property: JsonPropertyName("cases")] int Cases,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("files")] IReadOnlyList<TestFileReport> Files)
{
    public static TestReport From(IReadOnlyList<FileResult> results, Func<string, string> path)
    {
        var cases = results.SelectMany(r => r.Cases).ToList();
        return new TestReport(
            cases.All(c => c.Passed),
            cases.Count,
            cases.Count(c => !c.Passed),
            [.. results.Select(r => new TestFileReport(path(r.Path), [.. r.Cases.Select(c => new TestCaseReport(
                c.Name,
                c.Line,
                c.Passed,
                c.Error,
                [.. c.Mismatches.Select(m => new TestMismatch(m.Subject, m.Expected, m.Actual))]))]))]);
    }
}

internal sealed record TestFileReport(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("cases")] IReadOnlyList<TestCaseReport> Cases);

internal sealed record TestCaseReport(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("passed")] bool Passed,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("mismatches")] IReadOnlyList<TestMismatch> Mismatches);

internal sealed record TestMismatch(
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("expected")] string Expected,
    [property: JsonPropertyName("actual")] string Actual);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TestReport))]
internal sealed partial class TestJsonContext : JsonSerializerContext
{
    /// <summary>
    /// What <c>wasme test -o json</c> prints: names, expected and actual values as the test file and the filter wrote
    /// them (the default encoder's <c>\u0027</c> and <c>\u0022</c> are valid JSON but match no grep), as
    /// <see cref="Images.ImagesJsonContext.Output"/> does. Control characters are still escaped.
    /// </summary>
    public static TestJsonContext Output { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
