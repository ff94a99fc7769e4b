using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Validation;

/// <summary>Reads the scalar values validation needs from stored JSON, whatever built the node.</summary>
internal static class Values
{
    /// <summary>An integer field, or null when absent or not a number (the decode has already refused wrong types).</summary>
    public static long? Long(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && long.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    /// <summary>Go's %v of a number as a field error prints it.</summary>
    public static string Go(long value) => value.ToString(CultureInfo.InvariantCulture);
}
