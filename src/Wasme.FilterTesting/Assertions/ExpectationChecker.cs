using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;

namespace Wasme.FilterTesting.Assertions;

/// <summary>Compares what a case observed with its <c>then</c>; pure, so every rule is tested without a module.</summary>
public static partial class ExpectationChecker
{
    public static IReadOnlyList<Mismatch> Check(ThenSpec then, CaseObservation observed)
    {
        ArgumentNullException.ThrowIfNull(then);
        ArgumentNullException.ThrowIfNull(observed);
        var mismatches = new List<Mismatch>();
        if (then.Response is { } response)
        {
            CheckResponse(response, observed, mismatches);
        }

        if (then.Upstream is { } upstream)
        {
            CheckUpstream(upstream, observed, mismatches);
        }

        if (then.HttpCalls is { } calls)
        {
            CheckCalls(calls, observed.Calls, mismatches);
        }

        if (then.GrpcCalls is { } grpcCalls)
        {
            CheckGrpcCalls(grpcCalls, observed.GrpcCalls, mismatches);
        }

        foreach (var log in then.Logs)
        {
            var found = observed.Logs.Any(line => (log.Level is null || LevelName(line.Level) == log.Level) && log.Message.IsMatch(line.Text));
            if (found == log.Absent)
            {
                var level = log.Level is null ? "" : $"{log.Level} ";
                mismatches.Add(new Mismatch("logs", log.Absent ? $"no {level}line {log.Message}" : $"a {level}line {log.Message}",
                    observed.Logs.Count == 0 ? "no log lines" : string.Join("\n", observed.Logs.Select(l => $"[{LevelName(l.Level)}] {l.Text}"))));
            }
        }

        foreach (var (name, expected) in then.Metrics)
        {
            var metric = observed.Metrics.FirstOrDefault(m => m.Name == name);
            if (metric is null)
            {
                mismatches.Add(new Mismatch($"metrics.{name}", expected.ToString(CultureInfo.InvariantCulture),
                    $"no such metric (defined: {(observed.Metrics.Count == 0 ? "none" : string.Join(", ", observed.Metrics.Select(m => m.Name)))})"));
            }
            else if (metric.Value != expected)
            {
                mismatches.Add(new Mismatch($"metrics.{name}", expected.ToString(CultureInfo.InvariantCulture), metric.Value.ToString(CultureInfo.InvariantCulture)));
            }
        }

        foreach (var (key, matcher) in then.SharedData)
        {
            if (!observed.SharedData.TryGetValue(key, out var value))
            {
                mismatches.Add(new Mismatch($"sharedData.{key}", matcher.ToString(), "not set"));
            }
            else if (!matcher.IsMatch(Encoding.UTF8.GetString(value)))
            {
                mismatches.Add(new Mismatch($"sharedData.{key}", matcher.ToString(), TextMatcher.Quote(Encoding.UTF8.GetString(value))));
            }
        }

        foreach (var (queue, expected) in then.Queues)
        {
            var messages = observed.Queues.TryGetValue(queue, out var found) ? found.Select(Encoding.UTF8.GetString).ToList() : [];
            var matches = messages.Count == expected.Count && expected.Zip(messages).All(pair => pair.First.IsMatch(pair.Second));
            if (!matches)
            {
                mismatches.Add(new Mismatch($"queues.{queue}",
                    expected.Count == 0 ? "no messages" : string.Join("\n", expected.Select(m => m.ToString())),
                    messages.Count == 0 ? "no messages" : string.Join("\n", messages.Select(TextMatcher.Quote))));
            }
        }

        // A failure the case does not expect fails it, first, as its cause: under fail-open the response looks
        // healthy, and a case with no other expectation would pass over a filter that traps on every request.
        var expectFailed = then.FilterFailed ?? false;
        if (expectFailed != observed.FilterFailed)
        {
            var expected = expectFailed ? "a filter to fail (trap, deadline or memory cap)"
                : then.FilterFailed is null ? "no filter to fail (if the case expects it to, write filterFailed: true under then)"
                : "no filter to fail";
            mismatches.Insert(0, new Mismatch("filterFailed", expected,
                observed.FilterFailed ? "a filter failed: " + string.Join("; ", observed.Logs.Where(l => l.Level >= LogLevel.Error).Select(l => l.Text)) : "no filter failed"));
        }

        return mismatches;
    }

    private static void CheckResponse(ResponseExpectation expected, CaseObservation observed, List<Mismatch> mismatches)
    {
        var actual = observed.Response;
        if (expected.Reset is { } reset && reset != actual.Reset)
        {
            mismatches.Add(new Mismatch("response.reset", reset ? "the stream to be reset" : "an answer", actual.Reset ? "the stream was reset" : $"answered {actual.StatusCode}"));
        }

        if (expected.Status is { } status && status != actual.StatusCode)
        {
            mismatches.Add(new Mismatch("response.status", status.ToString(CultureInfo.InvariantCulture), actual.StatusCode.ToString(CultureInfo.InvariantCulture) + (observed.UpstreamRequests.Count == 0 ? LocalReplyNote(actual.Body) : string.Empty)));
        }

        CheckHeaders("response.headers", expected.Headers, actual.Headers, mismatches);
        CheckHeaders("response.trailers", expected.Trailers, actual.Trailers, mismatches);
        if (expected.Body is { } body)
        {
            CheckBody("response.body", body, actual.Body, mismatches);
        }
    }

    /// <summary>A status no upstream sent came from a local reply; its short body usually says why.</summary>
    private static string LocalReplyNote(byte[] body) => body.Length is > 0 and < 200 ? $" (local reply: {TextMatcher.Quote(Encoding.UTF8.GetString(body))})" : " (local reply)";

    private static void CheckUpstream(UpstreamExpectation expected, CaseObservation observed, List<Mismatch> mismatches)
    {
        var request = observed.UpstreamRequests.Count > 0 ? observed.UpstreamRequests[^1] : null;
        if (expected.Called is { } called && called != (request is not null))
        {
            mismatches.Add(new Mismatch("upstream.called", called ? "the request to reach the upstream" : "the upstream not to be called",
                request is null ? $"it never did (the client got {observed.Response.StatusCode})" : $"it received {request.Method} {request.PathAndQuery}"));
        }

        var checksRequest = expected.Method is not null || expected.Path is not null || expected.Headers.Count > 0 || expected.Body is not null;
        if (!checksRequest)
        {
            return;
        }

        if (request is null)
        {
            if (expected.Called is not false)
            {
                mismatches.Add(new Mismatch("upstream", "a request at the upstream", $"none reached it (the client got {observed.Response.StatusCode})"));
            }

            return;
        }

        if (expected.Method is { } method && !string.Equals(method, request.Method, StringComparison.OrdinalIgnoreCase))
        {
            mismatches.Add(new Mismatch("upstream.method", method, request.Method));
        }

        if (expected.Path is { } path && !path.IsMatch(request.PathAndQuery))
        {
            mismatches.Add(new Mismatch("upstream.path", path.ToString(), TextMatcher.Quote(request.PathAndQuery)));
        }

        CheckHeaders("upstream.headers", expected.Headers, request.Headers, mismatches);
        if (expected.Body is { } body)
        {
            CheckBody("upstream.body", body, request.Body, mismatches);
        }
    }

    private static void CheckCalls(IReadOnlyList<CallExpectation> expected, IReadOnlyList<RecordedCall> actual, List<Mismatch> mismatches)
    {
        if (expected.Count != actual.Count)
        {
            mismatches.Add(new Mismatch("httpCalls", $"{expected.Count} call(s){Clusters(expected.Select(c => c.Cluster))}",
                $"{actual.Count} call(s){Clusters(actual.Select(c => c.Cluster))}"));
        }

        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            var subject = $"httpCalls[{i}]";
            if (expected[i].Cluster != actual[i].Cluster)
            {
                mismatches.Add(new Mismatch($"{subject}.cluster", expected[i].Cluster, actual[i].Cluster));
            }

            CheckHeaders($"{subject}.headers", expected[i].Headers, actual[i].Headers, mismatches);
            if (expected[i].Body is { } body)
            {
                CheckBody($"{subject}.body", body, actual[i].Body, mismatches);
            }
        }
    }

    private static string Clusters(IEnumerable<string> clusters)
    {
        var list = clusters.ToList();
        return list.Count == 0 ? string.Empty : $" to {string.Join(", ", list)}";
    }

    private static void CheckHeaders(string subject, IReadOnlyDictionary<string, HeaderMatcher> expected, IReadOnlyList<KeyValuePair<string, string>> actual, List<Mismatch> mismatches)
    {
        foreach (var (name, matcher) in expected)
        {
            var values = actual.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
            if (matcher.Absent)
            {
                if (values.Count > 0)
                {
                    mismatches.Add(new Mismatch($"{subject}.{name}", "absent", string.Join(", ", values.Select(TextMatcher.Quote))));
                }
            }
            else if (values.Count == 0)
            {
                mismatches.Add(new Mismatch($"{subject}.{name}", matcher.ToString(), $"absent (present: {(actual.Count == 0 ? "none" : string.Join(", ", actual.Select(h => h.Key).Distinct()))})"));
            }
            else if (!values.Any(matcher.Value!.IsMatch))
            {
                mismatches.Add(new Mismatch($"{subject}.{name}", matcher.ToString(), string.Join(", ", values.Select(TextMatcher.Quote))));
            }
        }
    }

    private static void CheckBody(string subject, BodyMatcher matcher, byte[] actual, List<Mismatch> mismatches)
    {
        if (matcher.IsMatch(actual, out var why))
        {
            return;
        }

        var text = Encoding.UTF8.GetString(actual);
        var diff = matcher.Text?.Exact is { } exact && (exact.Contains('\n', StringComparison.Ordinal) || text.Contains('\n', StringComparison.Ordinal))
            ? LineDiff.Render(exact, text)
            : null;
        mismatches.Add(new Mismatch(subject, matcher.ToString(), why ?? (actual.Length == 0 ? "empty" : BodyMatcher.Literal(actual)), diff));
    }

    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "critical",
    };
}
