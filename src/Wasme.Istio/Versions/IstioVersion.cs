using System.Globalization;
using System.Text.RegularExpressions;

namespace Wasme.Istio.Versions;

/// <summary>An Istio minor release (patch levels do not change what we generate).</summary>
public readonly partial record struct IstioVersion(int Major, int Minor) : IComparable<IstioVersion>
{
    /// <summary>Assumed when the version is not known (offline render): the newest form of every resource.</summary>
    public static IstioVersion Latest { get; } = new(1, 28);

    public int CompareTo(IstioVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator <(IstioVersion left, IstioVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(IstioVersion left, IstioVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(IstioVersion left, IstioVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(IstioVersion left, IstioVersion right) => left.CompareTo(right) >= 0;

    /// <summary>
    /// Reads <c>1.7</c>, <c>1.7.1</c>, <c>v1.8.0-alpha.0</c>, or an istiod image tag such as <c>1.20.3-distroless</c>.
    /// </summary>
    public static bool TryParse(string? text, out IstioVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var match = VersionPattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        version = new IstioVersion(
            int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture));
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");

    [GeneratedRegex(@"^v?(?<major>\d{1,4})\.(?<minor>\d{1,4})(?:[.\-+].*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
