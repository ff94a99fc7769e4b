using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Wasme.Build.Templates;

/// <summary>
/// Where the filter will run (<c>--platform istio --platform-version 1.20</c>). The templates use
/// Proxy-Wasm ABI 0.2.x, which Istio supports from 1.9 and Envoy from 1.17; older versions spoke
/// pre-release ABIs, so init refuses them rather than produce a filter that will not load.
/// </summary>
public sealed record PlatformTarget(string Name, int Major, int Minor)
{
    public static IReadOnlyList<string> Names { get; } = ["istio", "envoy"];

    public string Display => $"{Name} {Major}.{Minor}";

    public static bool TryParse(string name, string? version, [NotNullWhen(true)] out PlatformTarget? target, out string error)
    {
        target = null;
        var (minMajor, minMinor) = name.ToLowerInvariant() switch
        {
            "istio" => (1, 9),
            "envoy" => (1, 17),
            _ => (-1, -1),
        };
        if (minMajor < 0)
        {
            error = $"unknown platform '{name}'; choose one of: {string.Join(", ", Names)}";
            return false;
        }

        if (string.IsNullOrWhiteSpace(version))
        {
            error = $"--platform {name} needs --platform-version, e.g. --platform-version {minMajor}.{minMinor + 11}";
            return false;
        }

        var parts = version.Trim().TrimStart('v').Split('.');
        if (parts.Length is < 2 or > 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            || (parts.Length == 3 && parts[2] != "x" && !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            error = $"platform version '{version}' is not a version like 1.20, 1.20.x or 1.20.3";
            return false;
        }

        if (major < minMajor || (major == minMajor && minor < minMinor))
        {
            error = $"{name} {major}.{minor} predates Proxy-Wasm ABI 0.2 (supported from {name} {minMajor}.{minMinor}); the templates would not load there. Upgrade {name}, or use a {minMajor}.{minMinor}+ version";
            return false;
        }

        target = new PlatformTarget(name.ToLowerInvariant(), major, minor);
        error = "";
        return true;
    }
}
