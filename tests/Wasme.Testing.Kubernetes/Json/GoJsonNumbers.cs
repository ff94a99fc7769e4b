using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Json;

/// <summary>
/// Numbers as kube-apiserver keeps them in a custom resource: sigs.k8s.io/json decodes a number whose text parses as
/// an int64 into one and any other into a float64, and encoding/json writes them back in their shortest form, so
/// <c>1.0</c> is stored as <c>1</c>, <c>1e3</c> as <c>1000</c> and <c>1.50</c> as <c>1.5</c>.
/// </summary>
internal static class GoJsonNumbers
{
    /// <summary>Whether Go's strconv.ParseInt takes the number's text as an int64.</summary>
    public static bool IsInt64(string literal) =>
        long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary>Rewrites every number under <paramref name="node"/> as the API server would store it.</summary>
    public static void Canonicalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (Rewritten(value) is { } number)
                    {
                        obj[key] = number;
                    }
                    else
                    {
                        Canonicalize(value);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Rewritten(array[i]) is { } number)
                    {
                        array[i] = number;
                    }
                    else
                    {
                        Canonicalize(array[i]);
                    }
                }

                break;
        }
    }

    /// <summary>encoding/json's text for a float64: 'f' form between 1e-6 and 1e21, else 'e' form with e-7 not e-07.</summary>
    public static string FormatFloat(double value)
    {
        // "R" gives the shortest digits that read back as the same double, as Go's precision -1 does.
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest.StartsWith('-');
        var unsigned = negative ? shortest[1..] : shortest;
        var exponentAt = unsigned.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? unsigned : unsigned[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(unsigned[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');

        // The value is 0.DIGITS times ten to the power integerDigits.
        var digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        var integerDigits = (point < 0 ? mantissa.Length : point) + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0').TrimEnd('0');
        integerDigits -= leadingZeros;
        var sign = negative ? "-" : "";
        if (digits.Length == 0)
        {
            return sign + "0";
        }

        var abs = Math.Abs(value);
        if (abs < 1e-6 || abs >= 1e21)
        {
            var e = integerDigits - 1;
            var rest = digits.Length > 1 ? "." + digits[1..] : "";
            var exponentText = Math.Abs(e).ToString(CultureInfo.InvariantCulture);
            return $"{sign}{digits[0]}{rest}e{(e < 0 ? '-' : '+')}{(e >= 0 && exponentText.Length < 2 ? "0" + exponentText : exponentText)}";
        }

        if (integerDigits <= 0)
        {
            return $"{sign}0.{new string('0', -integerDigits)}{digits}";
        }

        return digits.Length <= integerDigits
            ? sign + digits + new string('0', integerDigits - digits.Length)
            : $"{sign}{digits[..integerDigits]}.{digits[integerDigits..]}";
    }

    private static JsonNode? Rewritten(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        var literal = value.ToJsonString();
        if (long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer.ToString(CultureInfo.InvariantCulture) == literal ? null : JsonValue.Create(integer);
        }

        var number = double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(number))
        {
            return null;
        }

        var text = FormatFloat(number);
        return text == literal ? null : JsonNode.Parse(text);
    }
}
