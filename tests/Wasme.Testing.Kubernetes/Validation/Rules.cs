using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Validation;

/// <summary>
/// The checks and error shapes of k8s.io/apimachinery (pkg/util/validation, field) that several kinds share: port
/// numbers and names, int-or-string values, duplicates, and the field.Error kinds that <see cref="FieldError"/> lacks.
/// </summary>
internal static partial class Rules
{
    public const string Negative = "must be greater than or equal to 0";
    public const string PortRange = "must be between 1 and 65535, inclusive";

    public static FieldError Duplicate(string field, string value) => new(field, "FieldValueDuplicate", $"Duplicate value: {GoSyntax.Quote(value)}");

    public static FieldError NotFound(string field, string value) => new(field, "FieldValueNotFound", $"Not found: {GoSyntax.Quote(value)}");

    /// <summary>A required value with kube-apiserver's detail (<c>Required value: must specify a volume type</c>).</summary>
    public static FieldError Required(string field, string detail) => new(field, "FieldValueRequired", $"Required value: {detail}");

    public static FieldError NotSupported(string field, string value, params string[] supported) =>
        FieldError.NotSupported(field, value, supported.Select(s => (JsonNode?)s));

    public static FieldError Invalid(string field, long value, string why) => new(field, "FieldValueInvalid", $"Invalid value: {Values.Go(value)}: {why}");

    /// <summary>ValidateNonnegativeField of an optional integer.</summary>
    public static IEnumerable<FieldError> Nonnegative(JsonNode? node, string field)
    {
        if (Values.Long(node) is < 0 and var value)
        {
            yield return Invalid(field, value, Negative);
        }
    }

    /// <summary>IsValidPortName: an IANA service name.</summary>
    public static IEnumerable<string> PortName(string name)
    {
        if (name.Length > 15)
        {
            yield return "must be no more than 15 characters";
        }

        if (!PortNameCharset().IsMatch(name))
        {
            yield return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
        }

        if (!name.Any(char.IsAsciiLetterLower))
        {
            yield return "must contain at least one letter (a-z)";
        }

        if (name.Contains("--", StringComparison.Ordinal))
        {
            yield return "must not contain consecutive hyphens";
        }

        if (name.Length > 0 && (name[0] == '-' || name[^1] == '-'))
        {
            yield return "must not begin or end with a hyphen";
        }
    }

    /// <summary>ValidatePortNumOrName: a number in range or a port name.</summary>
    public static IEnumerable<FieldError> PortNumberOrName(JsonNode? port, string field)
    {
        if (port is not JsonValue value)
        {
            yield break;
        }

        if (value.GetValueKind() == JsonValueKind.String)
        {
            var name = value.GetValue<string>();
            foreach (var message in PortName(name))
            {
                yield return FieldError.Invalid(field, name, message);
            }
        }
        else if (Values.Long(port) is { } number && number is < 1 or > 65535)
        {
            yield return Invalid(field, number, PortRange);
        }
    }

    /// <summary>Go's %#v of an intstr.IntOrString, as errors about one print it.</summary>
    public static string IntOrString(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String
        ? $"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{GoSyntax.Quote(value.GetValue<string>())}}}"
        : $"intstr.IntOrString{{Type:0, IntVal:{Values.Go(Values.Long(node) ?? 0)}, StrVal:\"\"}}";

    /// <summary>ValidatePositiveIntOrPercent plus IsNotMoreThan100Percent, as workload strategies use them.</summary>
    public static IEnumerable<FieldError> IntOrPercent(JsonNode? node, string field)
    {
        if (node is not JsonValue value)
        {
            yield break;
        }

        if (value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            var match = Percent().Match(text);
            if (!match.Success)
            {
                yield return new FieldError(field, "FieldValueInvalid", $"Invalid value: {IntOrString(node)}: must be an integer or percentage (e.g '5%')");
            }
            else if (int.TryParse(match.Groups[1].Value, out var percent) && percent > 100)
            {
                yield return new FieldError(field, "FieldValueInvalid", $"Invalid value: {IntOrString(node)}: must not be greater than 100%");
            }
        }
        else if (Values.Long(node) is < 0 and var number)
        {
            yield return Invalid(field, number, Negative);
        }
    }

    /// <summary>An int-or-percent's value as the strategy checks read it: a percent counts as its number.</summary>
    public static long IntOrPercentValue(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String
        ? Percent().Match(value.GetValue<string>()) is { Success: true } match && long.TryParse(match.Groups[1].Value, out var percent) ? percent : 0
        : Values.Long(node) ?? 0;

    [GeneratedRegex("^[-a-z0-9]+$")]
    private static partial Regex PortNameCharset();

    [GeneratedRegex("^([0-9]+)%$")]
    private static partial Regex Percent();
}
