using System.Globalization;
using System.Text;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;

namespace Wasme.FilterTesting.Reporting;

/// <summary>
/// <c>--update</c>: writes each failing case's observed response into its <c>then.response</c>, in place, leaving
/// the rest of the file (comments included) as it was.
/// </summary>
public static class ExpectationUpdater
{
    /// <summary>The file's new text, or null when no case needed a change.</summary>
    public static string? Update(FilterTestFile file, IReadOnlyList<FilterTestCase> cases, IReadOnlyList<CaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(file);
        var edits = new List<(int Start, int End, string Text)>();
        // Lines written keep the file's own line endings (an editor on Windows saves CRLF).
        var newline = file.Text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        for (var i = 0; i < cases.Count; i++)
        {
            var result = results[i];
            if (result.Observation is null || (result.Passed && cases[i].Then.Response is not null) || !cases[i].Location.Editable)
            {
                continue;
            }

            var location = cases[i].Location;
            var response = Render(result.Observation.Response);
            if (location.ResponseStart is { } responseStart && location.ResponseBound is { } bound)
            {
                var responseEnd = file.Text[responseStart] == '{'
                    ? FlowEnd(file.Text, responseStart)
                    : ContentEnd(file.Text, responseStart, bound);
                edits.Add((responseStart, responseEnd, response));
            }
            else if (location.ThenStart is { } thenStart && location.ThenIsFlow)
            {
                edits.Add((thenStart + 1, thenStart + 1, $"response: {response}{(location.ThenIsEmpty ? "" : ", ")}"));
            }
            else if (location.ThenStart is { } blockStart)
            {
                edits.Add((blockStart, blockStart, $"response: {response}{newline}{new string(' ', location.ThenIndent!.Value)}"));
            }
            else
            {
                var end = ContentEnd(file.Text, location.CaseStart, location.NextCaseStart);
                edits.Add((end, end, $"{newline}{new string(' ', location.CaseIndent)}then: {{response: {response}}}"));
            }
        }

        if (edits.Count == 0)
        {
            return null;
        }

        var builder = new StringBuilder(file.Text);
        foreach (var (start, end, text) in edits.OrderByDescending(e => e.Start))
        {
            builder.Remove(start, end - start).Insert(start, text);
        }

        return builder.ToString();
    }

    /// <summary>Just past the flow collection that opens at <paramref name="start"/>, honouring quoted strings.</summary>
    private static int FlowEnd(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '"':
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        i += text[i] == '\\' ? 1 : 0;
                    }

                    break;
                case '\'':
                    for (i++; i < text.Length && !(text[i] == '\'' && (i + 1 == text.Length || text[i + 1] != '\'')); i++)
                    {
                        i += text[i] == '\'' ? 1 : 0;
                    }

                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']' when --depth == 0:
                    return i + 1;
            }
        }

        return text.Length;
    }

    /// <summary>End of the last line with content (not blank, not a comment) from <paramref name="start"/> up to <paramref name="bound"/>.</summary>
    private static int ContentEnd(string text, int start, int bound)
    {
        var end = bound >= text.Length ? text.Length : text.LastIndexOf('\n', Math.Max(start, bound - 1));
        end = end < start ? text.Length : end;
        while (end > start)
        {
            var lineStart = Math.Max(start, text.LastIndexOf('\n', end - 1) + 1);
            var line = text[lineStart..end].Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                // Before a CRLF's CR, so what is inserted here comes before the line's own ending.
                return end > lineStart && text[end - 1] == '\r' ? end - 1 : end;
            }

            end = lineStart - 1;
        }

        return start;
    }

    /// <summary>The observed response as a one-line flow mapping, valid wherever a YAML value may stand.</summary>
    private static string Render(Proxy.InProcess.InProcessResponse response)
    {
        var parts = new List<string> { $"status: {response.StatusCode.ToString(CultureInfo.InvariantCulture)}" };
        var headers = response.Headers
            .Where(h => h.Key is not ("content-length" or "date" or "transfer-encoding"))
            .GroupBy(h => h.Key, StringComparer.Ordinal)
            .Select(g => $"{Quote(g.Key)}: {Quote(g.First().Value)}")
            .ToList();
        if (headers.Count > 0)
        {
            parts.Add($"headers: {{{string.Join(", ", headers)}}}");
        }

        parts.Add(response.Body.Length > 0 ? $"body: {BodyMatcher.Literal(response.Body)}" : "body: {empty: true}");
        return $"{{{string.Join(", ", parts)}}}";
    }

    private static string Quote(string text) => TextMatcher.Quote(text);
}
