using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.RegularExpressions;
using Wasme.Oci.Errors;

namespace Wasme.Oci.References;

/// <summary>
/// A parsed image reference <c>[registry/]repository[:tag][@sha256:digest]</c> with docker's
/// defaults: no registry means <c>docker.io</c> (and <c>library/</c> for one-part names there), no
/// tag and no digest means <c>latest</c>. A reference with a digest is pinned: the digest wins over the tag.
/// </summary>
public sealed partial record ImageReference
{
    public const string DefaultRegistry = "docker.io";
    public const string DefaultTag = "latest";
    private const int MaxNameLength = 255;

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>Registry host, with port when one was given (<c>127.0.0.1:5000</c>, <c>docker.io</c>).</summary>
    public string Registry { get; }

    /// <summary>Repository path inside the registry (<c>library/nginx</c>, <c>team/filter</c>).</summary>
    public string Repository { get; }

    /// <summary>Tag; null only when the reference names a digest and no tag.</summary>
    public string? Tag { get; }

    /// <summary>Manifest digest when the reference is pinned.</summary>
    public Digest? Digest { get; }

    /// <summary><c>registry/repository</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>What to ask the registry for: the digest when pinned, else the tag.</summary>
    public string Identifier => Digest?.ToString() ?? Tag!;

    /// <summary>True for localhost and loopback registries, which docker talks to over plain HTTP.</summary>
    public bool IsLoopbackRegistry => IsLoopbackHost(Registry);

    public static ImageReference Parse(string value) =>
        TryParse(value, out var reference, out var error)
            ? reference
            : throw new OciUsageException(error);

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out ImageReference? reference) =>
        TryParse(value, out reference, out _);

    public static bool TryParse(
        [NotNullWhen(true)] string? value,
        [NotNullWhen(true)] out ImageReference? reference,
        out string error)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "The image reference is empty: give one like 'registry.example.com/team/filter:v1'.";
            return false;
        }

        var rest = value;
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var digestText = rest[(at + 1)..];
            if (!Digest.TryParse(digestText, out digest))
            {
                error = $"Invalid image reference '{value}': '{digestText}' is not a digest (expected 'sha256:' and 64 lowercase hex characters).";
                return false;
            }

            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.IndexOf(':', lastSlash + 1);
        if (colon >= 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                error = $"Invalid image reference '{value}': tag '{tag}' must be 1-128 characters of letters, digits, '_', '.' or '-', not starting with '.' or '-'.";
                return false;
            }
        }

        string registry;
        string repository;
        var firstSlash = rest.IndexOf('/', StringComparison.Ordinal);
        var first = firstSlash < 0 ? null : rest[..firstSlash];
        if (first is not null && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"))
        {
            registry = first;
            repository = rest[(firstSlash + 1)..];
            if (!RegistryPattern().IsMatch(registry))
            {
                error = $"Invalid image reference '{value}': '{registry}' is not a valid registry host[:port].";
                return false;
            }

            if (RegistryProblem(registry) is { } problem)
            {
                error = $"Invalid image reference '{value}': {problem}.";
                return false;
            }
        }
        else
        {
            registry = DefaultRegistry;
            repository = rest;
        }

        if (registry is "index.docker.io" or "registry-1.docker.io")
        {
            registry = DefaultRegistry;
        }

        if (registry == DefaultRegistry && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        if (repository.Length == 0 || !RepositoryPattern().IsMatch(repository))
        {
            error = $"Invalid image reference '{value}': repository '{repository}' must be lowercase letters, digits and separators ('.', '_', '__', '-', '/'), e.g. 'team/filter'.";
            return false;
        }

        if (registry.Length + 1 + repository.Length > MaxNameLength)
        {
            error = $"Invalid image reference '{value}': the name is longer than {MaxNameLength} characters.";
            return false;
        }

        if (tag is null && digest is null)
        {
            tag = DefaultTag;
        }

        reference = new ImageReference(registry, repository, tag, digest);
        error = string.Empty;
        return true;
    }

    public ImageReference WithTag(string tag) =>
        TagPattern().IsMatch(tag)
            ? new ImageReference(Registry, Repository, tag, null)
            : throw new OciUsageException($"'{tag}' is not a valid tag: use 1-128 letters, digits, '_', '.' or '-'.");

    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    /// <summary>The same repository in another registry location, same tag/digest.</summary>
    public ImageReference WithoutDigest() => new(Registry, Repository, Tag ?? DefaultTag, null);

    public override string ToString() =>
        Name + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);

    /// <summary>Why <paramref name="registry"/> is not a registry host[:port] a connection can use; null when it is one.</summary>
    public static string? RegistryError(string? registry) =>
        string.IsNullOrWhiteSpace(registry) ? "the registry is empty"
        : !RegistryPattern().IsMatch(registry) ? $"'{registry}' is not a valid registry host[:port]"
        : RegistryProblem(registry);

    /// <summary>What the pattern lets through but no connection can use: a port outside 1-65535, a bracketed host that is no IPv6 address.</summary>
    private static string? RegistryProblem(string registry)
    {
        int hostEnd;
        int portStart;
        if (registry.StartsWith('['))
        {
            // The pattern guarantees the ']' and that only ':PORT' may follow it.
            hostEnd = registry.IndexOf(']', StringComparison.Ordinal) + 1;
            portStart = hostEnd < registry.Length ? hostEnd : -1;
        }
        else
        {
            portStart = registry.IndexOf(':', StringComparison.Ordinal);
            hostEnd = portStart >= 0 ? portStart : registry.Length;
        }

        if (registry.StartsWith('[')
            && (!System.Net.IPAddress.TryParse(registry[1..(hostEnd - 1)], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6))
        {
            return $"'{registry[..hostEnd]}' is not an IPv6 address in brackets (e.g. '[::1]:5000')";
        }

        if (portStart >= 0 && (!int.TryParse(registry[(portStart + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535))
        {
            return $"port '{registry[(portStart + 1)..]}' of registry '{registry}' is not between 1 and 65535";
        }

        return null;
    }

    /// <summary>
    /// True for <c>localhost</c> and loopback IP addresses (127.0.0.0/8, ::1), with or without a port.
    /// Decided from the parsed address: a name such as <c>127.attacker.example</c> is a remote host.
    /// </summary>
    internal static bool IsLoopbackHost(string registry)
    {
        var host = registry;
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            host = end > 0 ? host[1..end] : host;
        }
        else if (host.Count(c => c == ':') == 1)
        {
            host = host[..host.IndexOf(':', StringComparison.Ordinal)];
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex RegistryPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();
}
