using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Wasme.FilterTesting.Model;

/// <summary>An expected text: exactly, containing, or matching a regular expression.</summary>
public sealed record TextMatcher(string? Exact, string? Contains, Regex? Pattern)
{
    public static TextMatcher Equal(string text) => new(text, null, null);

    public bool IsMatch(string actual) =>
        (Exact is null || string.Equals(Exact, actual, StringComparison.Ordinal))
        && (Contains is null || actual.Contains(Contains, StringComparison.Ordinal))
        && (Pattern is null || Pattern.IsMatch(actual));

    public override string ToString() =>
        Exact is not null ? Quote(Exact) : Contains is not null ? $"contains {Quote(Contains)}" : $"matches /{Pattern}/";

    /// <summary>A double-quoted string, valid in both YAML and JSON, escaping only what must be escaped.</summary>
    internal static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                < ' ' or '\u007f' => builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"').ToString();
    }
}

/// <summary>An expected header: one of its values meets <see cref="Value"/>, or it is absent.</summary>
public sealed record HeaderMatcher(TextMatcher? Value, bool Absent)
{
    public override string ToString() => Absent ? "absent" : Value!.ToString();
}

/// <summary>An expected body: text (exact, contains, regex), empty, or a JSON document containing a subset.</summary>
public sealed record BodyMatcher(TextMatcher? Text, JsonNode? JsonSubset, bool Empty)
{
    public bool IsMatch(byte[] body, out string? why)
    {
        why = null;
        if (Empty)
        {
            return body.Length == 0;
        }

        var text = Encoding.UTF8.GetString(body);
        if (Text is not null)
        {
            return Text.IsMatch(text);
        }

        JsonNode? actual;
        try
        {
            actual = JsonNode.Parse(body);
        }
        catch (JsonException ex)
        {
            why = $"the body is not JSON: {ex.Message}";
            return false;
        }

        return JsonContainment.Contains(JsonSubset!, actual, "$", out why);
    }

    public override string ToString() =>
        Empty ? "empty" : Text is not null ? Text.ToString() : $"JSON containing {JsonSubset!.ToJsonString()}";
}

/// <summary>Whether a JSON document contains an expected one: objects by subset of keys, arrays and scalars exactly.</summary>
public static class JsonContainment
{
    public static bool Contains(JsonNode expected, JsonNode? actual, string path, out string? why)
    {
        why = null;
        switch (expected)
        {
            case JsonObject expectedObject:
                if (actual is not JsonObject actualObject)
                {
                    why = $"{path} is {Describe(actual)}, expected an object";
                    return false;
                }

                foreach (var (key, value) in expectedObject)
                {
                    if (!actualObject.TryGetPropertyValue(key, out var actualValue))
                    {
                        why = $"{path}.{key} is missing";
                        return false;
                    }

                    if (value is null ? actualValue is not null : !Contains(value, actualValue, $"{path}.{key}", out why))
                    {
                        why ??= $"{path}.{key} is {Describe(actualValue)}, expected null";
                        return false;
                    }
                }

                return true;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    why = $"{path} is {Describe(actual)}, expected {expected.ToJsonString()}";
                    return false;
                }

                return true;
        }
    }

    private static string Describe(JsonNode? node) => node?.ToJsonString() ?? "null";
}
