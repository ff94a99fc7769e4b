namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>The small formatting helpers the checks' messages are built from (policy/helpers.go).</summary>
internal static class Wording
{
    /// <summary><c>"a", "b"</c>: items in double quotes, comma separated, not escaped.</summary>
    public static string JoinQuote(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 0 ? "" : "\"" + string.Join("\", \"", list) + "\"";
    }

    public static string Pluralize(string singular, string plural, int count) => count == 1 ? singular : plural;

    /// <summary><c>container "a"</c> or <c>containers "a", "b"</c>.</summary>
    public static string Containers(IReadOnlyCollection<string> names) => $"{Pluralize("container", "containers", names.Count)} {JoinQuote(names)}";

    /// <summary>Go's <c>%q</c> for the plain strings labels and annotations hold.</summary>
    public static string GoQuote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A set listed as the library lists its string sets: sorted, ordinal.</summary>
    public static SortedSet<string> SortedSet() => new(StringComparer.Ordinal);
}
