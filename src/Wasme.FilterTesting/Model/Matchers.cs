using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Text.Unicode;

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

/// <summary>
/// An expected body: text (exact, contains, regex), exact bytes (<c>!!binary</c>), empty, or a JSON document containing a
/// subset. Exact text is compared as its UTF-8 bytes, so an invalid byte never equals the U+FFFD it would decode to.
/// </summary>
public sealed record BodyMatcher(TextMatcher? Text, JsonNode? JsonSubset, bool Empty, byte[]? Bytes = null)
{
    public bool IsMatch(byte[] body, out string? why)
    {
        why = null;
        if (Empty)
        {
            return body.Length == 0;
        }

        if (Bytes is not null)
        {
            return body.AsSpan().SequenceEqual(Bytes);
        }

        if (Text?.Exact is { } exact)
        {
            return body.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(exact));
        }

        if (Text is not null)
        {
            return Text.IsMatch(Encoding.UTF8.GetString(body));
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

    /// <summary>A non-empty body as a YAML value that gives back its bytes: quoted text when it is UTF-8, else <c>!!binary</c>.</summary>
    public static string Literal(byte[] body) =>
        Utf8.IsValid(body) ? TextMatcher.Quote(Encoding.UTF8.GetString(body)) : Binary(body);

    public override string ToString() =>
        Empty ? "empty" : Bytes is not null ? Binary(Bytes) : Text is not null ? Text.ToString() : $"JSON containing {JsonSubset!.ToJsonString()}";

    private static string Binary(byte[] bytes) => $"!!binary \"{Convert.ToBase64String(bytes)}\"";
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
