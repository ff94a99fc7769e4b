using System.Globalization;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;

namespace Wasme.FilterTesting.Assertions;

/// <summary><c>then.grpcCalls</c>: the calls and streams opened, in order, and what the filter sent on each.</summary>
public static partial class ExpectationChecker
{
    private static void CheckGrpcCalls(IReadOnlyList<GrpcCallExpectation> expected, IReadOnlyList<RecordedGrpcCall> actual, List<Mismatch> mismatches)
    {
        if (expected.Count != actual.Count)
        {
            mismatches.Add(new Mismatch("grpcCalls", $"{expected.Count} call(s){Targets(expected.Select(c => $"{c.Cluster} {c.Service}/{c.Method}"))}",
                $"{actual.Count} call(s){Targets(actual.Select(c => $"{c.Cluster} {c.Service}/{c.Method}"))}"));
        }

        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            var subject = $"grpcCalls[{i}]";
            var (want, got) = (expected[i], actual[i]);
            Compare($"{subject}.cluster", want.Cluster, got.Cluster, mismatches);
            Compare($"{subject}.service", want.Service, got.Service, mismatches);
            Compare($"{subject}.method", want.Method, got.Method, mismatches);
            CheckHeaders($"{subject}.metadata", want.Metadata, got.Metadata, mismatches);
            if (want.Cancelled is { } cancelled && cancelled != got.Cancelled)
            {
                mismatches.Add(new Mismatch($"{subject}.cancelled", cancelled ? "true" : "false", got.Cancelled ? "true" : "false"));
            }

            if (want.Messages is { } messages)
            {
                CheckMessages($"{subject}.messages", messages, got.Messages, mismatches);
            }
        }
    }

    private static void CheckMessages(string subject, IReadOnlyList<MessageExpectation> expected, IReadOnlyList<byte[]> actual, List<Mismatch> mismatches)
    {
        if (expected.Count != actual.Count)
        {
            mismatches.Add(new Mismatch(subject, $"{expected.Count} message(s)", $"{actual.Count} message(s)"));
        }

        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            var where = $"{subject}[{i}]";
            if (expected[i].Bytes is { } bytes)
            {
                if (!bytes.AsSpan().SequenceEqual(actual[i]))
                {
                    mismatches.Add(new Mismatch(where, "base64 " + Convert.ToBase64String(bytes), "base64 " + Convert.ToBase64String(actual[i])));
                }
            }
            else
            {
                CheckBody(where, expected[i].Matcher!, actual[i], mismatches);
            }
        }
    }

    private static void Compare(string subject, string? expected, string actual, List<Mismatch> mismatches)
    {
        if (expected is not null && !string.Equals(expected, actual, StringComparison.Ordinal))
        {
            mismatches.Add(new Mismatch(subject, expected, actual));
        }
    }

    private static string Targets(IEnumerable<string> targets)
    {
        var list = targets.ToList();
        return list.Count == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" to {string.Join(", ", list)}");
    }
}
