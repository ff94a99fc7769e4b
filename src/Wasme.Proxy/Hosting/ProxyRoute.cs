namespace Wasme.Proxy.Hosting;

/// <summary>
/// The one route of the local proxy as filters read it: its name (<c>xds.route_name</c>) and metadata
/// (<c>xds.route_metadata</c>, keys as dotted paths below it, for example <c>filter_metadata.istio.service</c>).
/// </summary>
public sealed record ProxyRoute(string Name, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Istio names a sidecar's inbound HTTP route "default".</summary>
    public static ProxyRoute Default { get; } = new("default", new Dictionary<string, string>());
}
