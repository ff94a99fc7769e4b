using System.CommandLine;
using Wasme.Proxy.Hosting;

namespace Wasme.Cli.Commands.Run;

/// <summary>
/// The <c>wasme run</c> flags that set what Envoy's bootstrap and route would give filters: worker count
/// (<c>--concurrency</c>), node properties, and the route's name and metadata.
/// </summary>
internal sealed class RunEnvoyOptions
{
    private readonly Option<int?> _concurrency = new("--concurrency") { Description = "VMs per filter, one per worker thread, as Envoy's --concurrency (default: the number of CPUs; 0 runs one)." };
    private readonly Option<string[]> _node = new("--node") { Description = "A node.* property filters read, KEY=VALUE below node: id=..., cluster=..., metadata.ISTIO_VERSION=1.24 (repeatable).", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _routeName = new("--route-name") { Description = "Route name filters read (route_name, xds.route_name); default: default." };
    private readonly Option<string[]> _routeMetadata = new("--route-metadata") { Description = "Route metadata filters read (xds.route_metadata), KEY=VALUE below it: filter_metadata.NS.KEY=VALUE (repeatable).", AllowMultipleArgumentsPerToken = false };

    public static RunEnvoyOptions AddTo(Command command)
    {
        var options = new RunEnvoyOptions();
        command.Options.Add(options._concurrency);
        command.Options.Add(options._node);
        command.Options.Add(options._routeName);
        command.Options.Add(options._routeMetadata);
        return options;
    }

    public RunEnvoySettings Read(ParseResult parseResult)
    {
        var problems = new List<string>();
        var concurrency = parseResult.GetValue(_concurrency);
        if (concurrency < 0)
        {
            problems.Add($"--concurrency: {concurrency} is negative; pass a worker count such as 2 (0 runs one worker, as in Envoy)");
        }

        var routeName = parseResult.GetValue(_routeName);
        if (routeName is { Length: 0 })
        {
            problems.Add("--route-name: empty; pass a name, or leave the flag out for 'default'");
        }

        return new RunEnvoySettings
        {
            // Envoy runs one worker for --concurrency 0.
            Workers = concurrency is { } count ? Math.Max(count, 1) : Environment.ProcessorCount,
            NodeProperties = Pairs("--node", parseResult.GetValue(_node), "metadata.ISTIO_VERSION=1.24", problems),
            RouteName = routeName ?? ProxyRoute.Default.Name,
            RouteMetadata = Pairs("--route-metadata", parseResult.GetValue(_routeMetadata), "filter_metadata.istio.service=reviews", problems),
            Problems = problems,
        };
    }

    private static Dictionary<string, string> Pairs(string flag, string[]? values, string example, List<string> problems)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in values ?? [])
        {
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || text[..equals].Split('.').Any(part => part.Length == 0))
            {
                problems.Add($"{flag}: '{text}' is not KEY=VALUE with a dotted KEY (for example {example})");
                continue;
            }

            pairs[text[..equals]] = text[(equals + 1)..];
        }

        return pairs;
    }
}

/// <summary>The parsed <see cref="RunEnvoyOptions"/>; <see cref="Problems"/> lists what was wrong with them.</summary>
internal sealed record RunEnvoySettings
{
    public int Workers { get; init; } = Environment.ProcessorCount;

    public IReadOnlyDictionary<string, string> NodeProperties { get; init; } = new Dictionary<string, string>();

    public string RouteName { get; init; } = ProxyRoute.Default.Name;

    public IReadOnlyDictionary<string, string> RouteMetadata { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Problems { get; init; } = [];

    public ProxyRoute Route => new(RouteName, RouteMetadata);

    /// <summary>The node properties for one filter: what its Istio resource implies, overridden by <c>--node</c>.</summary>
    public IReadOnlyDictionary<string, string> NodeFor(IReadOnlyDictionary<string, string>? implied = null)
    {
        if (implied is null || implied.Count == 0)
        {
            return NodeProperties;
        }

        var node = new Dictionary<string, string>(implied, StringComparer.Ordinal);
        foreach (var (key, value) in NodeProperties)
        {
            node[key] = value;
        }

        return node;
    }
}
