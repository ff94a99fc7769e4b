using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Wasme.Testing.Kubernetes.Validation;

/// <summary>
/// A resource quantity (<c>64Mi</c>, <c>50m</c>, <c>1e3</c>) as apimachinery's resource.Quantity parses it, with its
/// canonical string (<c>1000m</c> prints as <c>1</c>, <c>1024Mi</c> as <c>1Gi</c>), which field errors show.
/// </summary>
internal sealed partial record Quantity(decimal Value, Quantity.Format Kind)
{
    /// <summary>What the decoder says of a string that is not a quantity (the whole object is then a 400).</summary>
    public const string ParseError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    /// <summary>What the decoder says of a number with a suffix it does not know (<c>64MM</c>; <c>64MB</c> fails the syntax).</summary>
    public const string SuffixError = "unable to parse quantity's suffix";

    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    private static readonly (string Suffix, int Exponent)[] DecimalSuffixes =
        [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];

    public enum Format
    {
        DecimalSI,
        BinarySI,
        DecimalExponent,
    }

    public int Sign => Math.Sign(Value);

    /// <summary>A quantity from JSON: a string in the quantity syntax or a number; null when it is neither.</summary>
    public static Quantity? Parse(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.Number => decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? new Quantity(number, Format.DecimalSI) : null,
            JsonValueKind.String => Parse(value.GetValue<string>()),
            _ => null,
        };
    }

    public static Quantity? Parse(string text) => TryParse(text, out var quantity) is null ? quantity : null;

    /// <summary>Parses <paramref name="text"/>; returns the decoder's error, or null when it is a quantity.</summary>
    public static string? TryParse(string text, out Quantity? quantity)
    {
        quantity = Read(text);
        if (quantity is not null)
        {
            return null;
        }

        return Syntax().Match(text) is { Success: true } match && decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)
            ? SuffixError
            : ParseError;
    }

    private static Quantity? Read(string text)
    {
        var match = Syntax().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        var suffix = match.Groups[2].Value;
        var binary = Array.IndexOf(BinarySuffixes, suffix);
        if (binary > 0)
        {
            return new Quantity(number * Pow(1024, binary), Format.BinarySI);
        }

        foreach (var (name, exponent) in DecimalSuffixes)
        {
            if (name == suffix)
            {
                return new Quantity(number * Pow10(exponent), Format.DecimalSI);
            }
        }

        if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var power) && Math.Abs(power) <= 18)
        {
            return new Quantity(number * Pow10(power), Format.DecimalExponent);
        }

        return null;
    }

    /// <summary>The canonical form: the largest suffix that keeps the number whole.</summary>
    public override string ToString()
    {
        if (Kind == Format.BinarySI && decimal.Truncate(Value) == Value && Math.Abs(Value) >= 1024)
        {
            for (var i = BinarySuffixes.Length - 1; i >= 0; i--)
            {
                var unit = Pow(1024, i);
                if (Value % unit == 0)
                {
                    return (Value / unit).ToString("0", CultureInfo.InvariantCulture) + BinarySuffixes[i];
                }
            }
        }

        for (var i = DecimalSuffixes.Length - 1; i >= 0; i--)
        {
            var (suffix, exponent) = DecimalSuffixes[i];
            var mantissa = Value / Pow10(exponent);
            if (decimal.Truncate(mantissa) == mantissa)
            {
                var text = mantissa.ToString("0", CultureInfo.InvariantCulture);
                return Kind == Format.DecimalExponent ? text + (exponent == 0 ? "" : "e" + exponent.ToString(CultureInfo.InvariantCulture)) : text + suffix;
            }
        }

        // Finer than a nano: rounded up to one, as apimachinery does.
        return (decimal.Ceiling(Value * 1_000_000_000m)).ToString("0", CultureInfo.InvariantCulture) + "n";
    }

    private static decimal Pow(int @base, int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= @base;
        }

        return result;
    }

    private static decimal Pow10(int exponent) => exponent >= 0 ? Pow(10, exponent) : 1m / Pow(10, -exponent);

    [GeneratedRegex(@"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial Regex Syntax();
}
