namespace Wasme.Proxy.Istio;

/// <summary>One <c>HOST_DIR:CONTAINER_DIR</c> mapping, as a volume mount gives a sidecar its view of a host directory.</summary>
/// <param name="HostDirectory">The directory on this machine.</param>
/// <param name="ContainerDirectory">The absolute path the resource uses for it (normalized, no trailing slash).</param>
public sealed record SidecarMount(string HostDirectory, string ContainerDirectory)
{
    /// <summary>Parses <c>HOST_DIR:CONTAINER_DIR</c>; the container side must be absolute.</summary>
    public static bool TryParse(string text, out SidecarMount? mount, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        mount = null;
        // The container side is a Linux path, so the last ':' separates (a Windows host path may hold one).
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not HOST_DIR:CONTAINER_DIR (for example /var/lib/wasme-cache:/var/local/lib/wasme-cache)";
            return false;
        }

        var container = text[(colon + 1)..];
        if (!container.StartsWith('/'))
        {
            error = $"'{text}': the container directory '{container}' must be an absolute path, as in the resource";
            return false;
        }

        mount = new SidecarMount(text[..colon], SidecarMounts.Normalize(container));
        error = null;
        return true;
    }
}

/// <summary>
/// Maps the local file paths an Istio resource names (<c>code.local.filename</c>, <c>file://</c>) from the
/// sidecar's file system to this machine's. With no mounts a path is used as it is.
/// </summary>
public sealed class SidecarMounts
{
    private readonly IReadOnlyList<SidecarMount> _mounts;

    public SidecarMounts(IEnumerable<SidecarMount> mounts)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        // Longest container directory first, so a nested mount wins over its parent (as in a container).
        _mounts = [.. mounts.OrderByDescending(m => m.ContainerDirectory.Length)];
    }

    public static SidecarMounts None { get; } = new([]);

    public IReadOnlyList<SidecarMount> Mounts => _mounts;

    /// <summary>The host path for a path inside the sidecar, or null when no mount holds it.</summary>
    public string? TryMap(string containerPath)
    {
        ArgumentNullException.ThrowIfNull(containerPath);
        if (_mounts.Count == 0)
        {
            return containerPath;
        }

        if (!containerPath.StartsWith('/'))
        {
            return null;
        }

        // Normalized first, so '..' cannot climb out of a mount.
        var normalized = Normalize(containerPath);
        foreach (var mount in _mounts)
        {
            if (normalized == mount.ContainerDirectory)
            {
                return mount.HostDirectory;
            }

            var prefix = mount.ContainerDirectory == "/" ? "/" : mount.ContainerDirectory + "/";
            if (normalized.StartsWith(prefix, StringComparison.Ordinal))
            {
                return Path.Combine(mount.HostDirectory, normalized[prefix.Length..]);
            }
        }

        return null;
    }

    /// <summary>Resolves '.', '..' and repeated slashes of an absolute Linux path, whatever the host OS.</summary>
    internal static string Normalize(string absolutePath)
    {
        var parts = new List<string>();
        foreach (var part in absolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return "/" + string.Join('/', parts);
    }
}
