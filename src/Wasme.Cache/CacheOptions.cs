namespace Wasme.Cache;

/// <summary>Settings of the node cache daemon. <see cref="Validate"/> runs before anything starts.</summary>
public sealed record CacheOptions
{
    public const string DefaultDirectory = "/var/local/lib/wasme-cache";
    public const int DefaultPort = 9979;

    /// <summary>The content-addressed module directory (a hostPath shared with sidecars for HostPath delivery).</summary>
    public string Directory { get; init; } = DefaultDirectory;

    /// <summary>Where the HTTP server listens, e.g. <c>http://0.0.0.0:9979</c>.</summary>
    public Uri Listen { get; init; } = new($"http://0.0.0.0:{DefaultPort}");

    /// <summary>Soft bound on the directory: past it, unreferenced modules are evicted (least recently used first).</summary>
    public long QuotaBytes { get; init; } = 1L << 30;

    /// <summary>How long an unreferenced module is kept, so a quick re-apply or rollback does not re-pull it.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest module accepted from a registry.</summary>
    public long MaxModuleBytes { get; init; } = 256L << 20;

    public TimeSpan RetryInitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the cache re-checks wanted modules and eviction even without a change.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an HTTP request for a module that is being fetched waits for the fetch before answering 404.</summary>
    public TimeSpan InFlightWaitTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>This node's name (downward API <c>spec.nodeName</c>); names its CacheNodeRecord.</summary>
    public string? NodeName { get; init; }

    /// <summary>Namespace the daemon runs in; its node's CacheNodeRecord is written here.</summary>
    public string Namespace { get; init; } = "wasme";

    /// <summary>Only watch FilterDeployments in this namespace; null watches all namespaces.</summary>
    public string? WatchNamespace { get; init; }

    /// <summary>Sigstore trusted root for keyless <c>spec.filter.verification.identities</c>; null refuses those (nothing fetched).</summary>
    public Wasme.Signing.Bundles.TrustedRoot? SigstoreTrustedRoot { get; init; }

    /// <summary>Returns every problem at once, each naming the option and the fix.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Directory))
        {
            problems.Add("--directory is empty: give the module directory, e.g. /var/local/lib/wasme-cache.");
        }

        if (Listen.Scheme != Uri.UriSchemeHttp || !string.IsNullOrEmpty(Listen.PathAndQuery.Trim('/')))
        {
            problems.Add($"--listen '{Listen}' is not an http://HOST:PORT address (TLS is terminated by the mesh; the daemon speaks plain HTTP inside the node).");
        }
        else if (!IsListenHost(Listen))
        {
            problems.Add($"--listen '{Listen}' names the host '{Listen.Host}': give an IP address of this node (0.0.0.0 for every IPv4 address, [::] for every IPv6 one, 127.0.0.1) or localhost.");
        }

        if (QuotaBytes <= 0)
        {
            problems.Add($"--quota-bytes {QuotaBytes} must be positive, e.g. 1073741824 for 1 GiB.");
        }

        if (MaxModuleBytes <= 0)
        {
            problems.Add($"--max-module-bytes {MaxModuleBytes} must be positive.");
        }

        if (GracePeriod < TimeSpan.Zero)
        {
            problems.Add($"--grace-period {GracePeriod} must not be negative, e.g. 00:10:00.");
        }

        if (RetryInitialDelay <= TimeSpan.Zero || RetryMaxDelay < RetryInitialDelay)
        {
            problems.Add("The retry delays must be positive and the maximum at least the initial delay.");
        }

        if (ResyncInterval <= TimeSpan.Zero)
        {
            problems.Add("The resync interval must be positive.");
        }

        if (NodeName is not null && !IsDnsSubdomain(NodeName))
        {
            problems.Add($"--node-name '{NodeName}' is not a valid Kubernetes node name (lowercase letters, digits, '-' and '.').");
        }

        return problems;
    }

    // What the HTTP server can bind: an IP literal or a loopback name; it resolves no host names.
    private static bool IsListenHost(Uri listen) =>
        listen.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || listen.IsLoopback;

    private static bool IsDnsSubdomain(string value) =>
        value.Length is > 0 and <= 253
        && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.')
        && char.IsAsciiLetterOrDigit(value[0])
        && char.IsAsciiLetterOrDigit(value[^1]);
}
