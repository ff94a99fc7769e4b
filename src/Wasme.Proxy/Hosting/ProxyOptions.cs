using System.Net;

namespace Wasme.Proxy.Hosting;

/// <summary>Where the local data plane listens and where it sends traffic. Checked by <see cref="Validate"/> before start.</summary>
public sealed record ProxyOptions
{
    /// <summary>Default body bytes one filter may hold buffered: Envoy's default per-connection buffer limit.</summary>
    public const int DefaultBodyBufferLimit = 1024 * 1024;

    /// <summary>Default longest a filter may hold a stream paused: Envoy's default stream idle timeout.</summary>
    public static readonly TimeSpan DefaultStreamIdleTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest a .NET timer waits (about 49.7 days): a paused stream's wait with a longer timeout throws instead
    /// of waiting, so such a setting is refused at start rather than failing the first paused request.
    /// </summary>
    public static readonly TimeSpan MaxStreamIdleTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Address the proxy listens on.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 8080);

    /// <summary>Base URL requests are forwarded to. Null only with <see cref="EchoUpstream"/>.</summary>
    public Uri? Upstream { get; init; }

    /// <summary>Start a built-in upstream that echoes each request back, and forward to it.</summary>
    public bool EchoUpstream { get; init; }

    /// <summary>Address of the admin endpoint (<c>/stats</c>, <c>/stats?format=json</c>, <c>/ready</c>); null for none.</summary>
    public IPEndPoint? Admin { get; init; }

    /// <summary>
    /// Clients and the upstream speak HTTP/2 without TLS (prior knowledge), as gRPC services and their clients do.
    /// Otherwise clients speak HTTP/1.x and the upstream is reached over HTTP/1.1.
    /// </summary>
    public bool H2c { get; init; }

    /// <summary>
    /// Take HTTP/1.0 requests, as Envoy's <c>accept_http_10</c>; otherwise they are answered 426 Upgrade Required, as
    /// Envoy answers them by default.
    /// </summary>
    public bool AcceptHttp10 { get; init; }

    /// <summary>Named upstreams filters may reach with http_call (Envoy clusters).</summary>
    public IReadOnlyDictionary<string, Uri> Clusters { get; init; } = new Dictionary<string, Uri>(StringComparer.Ordinal);

    /// <summary>Most body bytes one filter may hold buffered; past it the stream gets 413 (request) or 500 (response).</summary>
    public int BodyBufferLimit { get; init; } = DefaultBodyBufferLimit;

    /// <summary>The route every request matches, as filters see it (<c>xds.route_name</c>, <c>xds.route_metadata</c>).</summary>
    public ProxyRoute Route { get; init; } = ProxyRoute.Default;

    /// <summary>Longest a filter may hold a stream paused without continuing it; then the stream gets 408, as Envoy's stream idle timeout.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = DefaultStreamIdleTimeout;

    /// <summary>
    /// Most HTTP connections open at once, before it is fitted to the open-file limit. None by default, as in Envoy;
    /// settable here so tests can meet the limit without exhausting descriptors.
    /// </summary>
    internal int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>Every problem with these options, each naming the setting and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Upstream is null && !EchoUpstream)
        {
            problems.Add("no upstream: pass --upstream http://HOST:PORT, or --echo-upstream for the built-in echo server");
        }

        if (Upstream is not null && EchoUpstream)
        {
            problems.Add("--upstream and --echo-upstream are exclusive: pass one of them");
        }

        if (Upstream is not null)
        {
            CheckHttpUrl("upstream", Upstream, problems);
        }

        problems.AddRange(ValidateClusters());

        if (BodyBufferLimit <= 0)
        {
            problems.Add($"body buffer limit {BodyBufferLimit} must be positive");
        }

        if (StreamIdleTimeout <= TimeSpan.Zero)
        {
            problems.Add($"stream idle timeout {StreamIdleTimeout} must be positive (for example 5m)");
        }
        else if (StreamIdleTimeout > MaxStreamIdleTimeout)
        {
            problems.Add($"stream idle timeout of {StreamIdleTimeout.TotalDays:0.#} days is over 49 days, the longest a paused stream can wait: pass a shorter one (--stream-idle-timeout 5m, or 49d at most)");
        }

        if (Admin is not null && Admin.Port != 0 && Admin.Port == Listen.Port && Admin.Address.Equals(Listen.Address))
        {
            problems.Add($"the admin endpoint {Admin} is the same as the listen address: pick another port");
        }

        return problems;
    }

    /// <summary>Problems with <see cref="Clusters"/> alone: network filters reach them too, where nothing else here applies.</summary>
    public IReadOnlyList<string> ValidateClusters()
    {
        var problems = new List<string>();
        foreach (var (name, url) in Clusters)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                problems.Add("a cluster has an empty name: pass --cluster NAME=URL");
            }

            CheckHttpUrl($"cluster '{name}'", url, problems);
        }

        return problems;
    }

    private static void CheckHttpUrl(string what, Uri url, List<string> problems)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(url.Host))
        {
            problems.Add($"{what} URL '{url}' is not an absolute http:// or https:// URL (for example http://127.0.0.1:9000)");
        }
    }
}
