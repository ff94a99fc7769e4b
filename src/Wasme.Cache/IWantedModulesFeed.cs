using Wasme.Cache.Fetching;

namespace Wasme.Cache;

/// <summary>Keeps <see cref="ModuleCache.SetWanted"/> up to date: from FilterDeployments in a cluster, or a fixed list.</summary>
public interface IWantedModulesFeed
{
    /// <summary>Runs until cancelled, calling <see cref="ModuleCache.SetWanted"/> on every change.</summary>
    Task RunAsync(ModuleCache cache, CancellationToken cancellationToken);
}

/// <summary>A fixed list, from <c>wasme cache --module</c>: for a cache outside Kubernetes, and for tests.</summary>
public sealed class StaticWantedModules(IReadOnlyList<WantedModule> modules) : IWantedModulesFeed
{
    public Task RunAsync(ModuleCache cache, CancellationToken cancellationToken)
    {
        cache.SetWanted(modules);
        return Task.CompletedTask;
    }
}
