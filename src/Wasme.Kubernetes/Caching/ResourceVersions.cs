namespace Wasme.Kubernetes.Caching;

internal static class ResourceVersions
{
    /// <summary>
    /// True when <paramref name="candidate"/> is not older than <paramref name="current"/>. resourceVersions are opaque,
    /// but every real server (etcd revisions) and the test server use increasing integers; anything else counts as newer.
    /// </summary>
    public static bool IsNotOlder(string? candidate, string? current) =>
        !long.TryParse(candidate, out var c) || !long.TryParse(current, out var o) || c >= o;
}
