using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Wasme.Istio.Yaml;

/// <summary>
/// What a plain (unquoted) YAML scalar means to kubectl, Flux and Argo CD: they read manifests with sigs.k8s.io/yaml,
/// which resolves scalars as go-yaml v2 does (YAML 1.1 booleans such as <c>yes</c>/<c>on</c>/<c>y</c>, integers with
/// <c>0x</c>/<c>0o</c>/<c>0b</c>/leading-zero octal and <c>_</c> separators; timestamps stay strings), and turns
/// non-string map keys into strings. <c>wasme render</c> reads FilterDeployments this way so that it translates the
/// same config the operator gets from the API server after <c>kubectl apply</c>. Not modelled: kubectl then turns an
/// integer beyond int64 into a float64 (<c>12345678901234567890</c> arrives as <c>12345678901234567000</c>).
/// </summary>
public static partial class KubectlScalars
{
    /// <summary>The JSON value of a plain scalar: null, a boolean, an integer, a number, or the text itself.</summary>
    /// <exception cref="YamlFormatException">The scalar is <c>.inf</c> or <c>.nan</c>, which JSON cannot hold (kubectl refuses them too).</exception>
    public static JsonValue? Resolve(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
            case ".nan" or ".NaN" or ".NAN" or ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF":
                throw new YamlFormatException($"'{text}' is not a number JSON can hold; quote it to pass it as text");
        }

        var first = text[0];
        if (first == '.')
        {
            return FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction)
                ? JsonValue.Create(fraction)
                : JsonValue.Create(text);
        }

        if (first is not ('+' or '-' or (>= '0' and <= '9')))
        {
            return JsonValue.Create(text);
        }

        var plain = text.Replace("_", string.Empty, StringComparison.Ordinal);
        if (TryParseInteger(plain, out var integer, out var unsigned))
        {
            return unsigned is { } big ? JsonValue.Create(big) : JsonValue.Create(integer);
        }

        return FloatPattern().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }

    /// <summary>A plain map key as sigs.k8s.io/yaml writes it into JSON: <c>yes</c> becomes <c>"true"</c>, <c>0x10</c> becomes <c>"16"</c>.</summary>
    /// <exception cref="YamlFormatException">The key is null (<c>~</c>), which a JSON object cannot have.</exception>
    public static string ResolveKey(string text)
    {
        var value = Resolve(text) ?? throw new YamlFormatException($"the key '{text}' reads as null, which a JSON object cannot have; quote it");
        return value.TryGetValue<string>(out var key) ? key : value.ToJsonString();
    }

    // Go's strconv.ParseInt(s, 0, 64), then ParseUint for what int64 cannot hold, as go-yaml v2 tries them.
    private static bool TryParseInteger(string text, out long value, out ulong? unsigned)
    {
        value = 0;
        unsigned = null;
        var negative = text.StartsWith('-');
        var digits = text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text;
        var (radix, body) = digits switch
        {
            _ when digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase) => (16, digits[2..]),
            _ when digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase) => (8, digits[2..]),
            _ when digits.StartsWith("0b", StringComparison.OrdinalIgnoreCase) => (2, digits[2..]),
            _ when digits.Length > 1 && digits[0] == '0' => (8, digits[1..]),
            _ => (10, digits),
        };
        if (body.Length == 0 || !body.All(c => DigitValue(c) < radix))
        {
            return false;
        }

        var magnitude = System.Numerics.BigInteger.Zero;
        foreach (var c in body)
        {
            magnitude = (magnitude * radix) + DigitValue(c);
        }

        var signed = negative ? -magnitude : magnitude;
        if (signed >= long.MinValue && signed <= long.MaxValue)
        {
            value = (long)signed;
            return true;
        }

        if (!negative && text[0] != '+' && magnitude <= ulong.MaxValue)
        {
            unsigned = (ulong)magnitude;
            return true;
        }

        return false;
    }

    private static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => int.MaxValue,
    };

    // go-yaml v2's yamlStyleFloat.
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
