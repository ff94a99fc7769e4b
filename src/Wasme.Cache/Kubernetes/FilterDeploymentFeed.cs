using Microsoft.Extensions.Logging;
using Wasme.Cache.Fetching;
using Wasme.Istio.Api;
using Wasme.Kubernetes.Caching;
using Wasme.Kubernetes.Clients;
using Wasme.Signing.Bundles;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// Watches FilterDeployments (list + watch with bookmarks, through the shared informer, typed) and
/// hands the union of the modules they reference to the cache on every change. A module is kept
/// while any FilterDeployment references it; the operator only has to keep its status current.
/// </summary>
public sealed partial class FilterDeploymentFeed : IWantedModulesFeed
{
    private readonly ResourceInformer<FilterDeployment> _informer;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private IReadOnlyDictionary<ModuleDigest, IReadOnlyList<FilterDeployment>> _referencing =
        new Dictionary<ModuleDigest, IReadOnlyList<FilterDeployment>>();

    private readonly TrustedRoot? _trustedRoot;

    public FilterDeploymentFeed(IResourceClient<FilterDeployment> client, string? watchNamespace, TimeProvider timeProvider, ILoggerFactory loggerFactory, TrustedRoot? trustedRoot = null)
    {
        _trustedRoot = trustedRoot;
        _informer = new ResourceInformer<FilterDeployment>(
            client,
            new InformerOptions { Namespace = watchNamespace },
            timeProvider,
            loggerFactory.CreateLogger<ResourceInformer<FilterDeployment>>());
        _logger = loggerFactory.CreateLogger<FilterDeploymentFeed>();
    }

    /// <summary>The FilterDeployments that reference a module (for Events).</summary>
    public IReadOnlyList<FilterDeployment> Referencing(ModuleDigest module)
    {
        lock (_lock)
        {
            return _referencing.GetValueOrDefault(module) ?? [];
        }
    }

    public async Task RunAsync(ModuleCache cache, CancellationToken cancellationToken)
    {
        _informer.AddHandler((type, _) =>
        {
            if (type != ResourceEventType.Resync)
            {
                Publish(cache);
            }
        });
        var running = _informer.RunAsync(cancellationToken);
        await Task.WhenAny(running, _informer.WaitForSyncAsync(cancellationToken));
        // Publish after the first list even if it was empty, so eviction knows nothing is wanted.
        Publish(cache);
        await running;
    }

    private void Publish(ModuleCache cache)
    {
        var referencing = new Dictionary<ModuleDigest, List<FilterDeployment>>();
        var wanted = new List<WantedModule>();
        foreach (var resource in _informer.List())
        {
            if (resource.Metadata.DeletionTimestamp is not null)
            {
                // Being deleted: proxies are being switched away; let the grace period cover the rest.
                continue;
            }

            foreach (var module in FilterDeploymentModules.Read(resource, _trustedRoot))
            {
                wanted.Add(module);
                if (!referencing.TryGetValue(module.Module, out var list))
                {
                    referencing[module.Module] = list = [];
                }

                list.Add(resource);
            }
        }

        lock (_lock)
        {
            _referencing = referencing.ToDictionary(p => p.Key, p => (IReadOnlyList<FilterDeployment>)p.Value);
        }

        LogWanted(_logger, referencing.Count);
        cache.SetWanted(wanted);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "FilterDeployments reference {Count} modules")]
    private static partial void LogWanted(ILogger logger, int count);
}
