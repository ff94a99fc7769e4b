using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;

namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>Checks of metadata that every kind shares.</summary>
internal static partial class ObjectMetadata
{
    public static string Timestamp(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static IEnumerable<FieldError> ValidateName(string name)
    {
        if (name.Length == 0)
        {
            yield return new FieldError("metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
        }
        else if (name.Length > 253 || !Subdomain().IsMatch(name))
        {
            yield return FieldError.Invalid("metadata.name", name,
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        }
    }

    public static IEnumerable<FieldError> ValidateLabels(JsonObject obj)
    {
        if (obj["metadata"]?["labels"] is not JsonObject labels)
        {
            yield break;
        }

        foreach (var (key, value) in labels)
        {
            var text = value?.ToString() ?? "";
            if (text.Length > 63 || (text.Length > 0 && !LabelValue().IsMatch(text)))
            {
                yield return FieldError.Invalid($"metadata.labels", text,
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
            }

            if (key.Length == 0 || key.Split('/')[^1].Length > 63)
            {
                yield return FieldError.Invalid("metadata.labels", key, "name part must be no more than 63 characters");
            }
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();
}
