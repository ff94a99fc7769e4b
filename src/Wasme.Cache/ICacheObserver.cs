using Wasme.Cache.Fetching;
using Wasme.Cache.Storage;

namespace Wasme.Cache;

/// <summary>
/// Told about changes only, never about polls: the Kubernetes side turns these into Events and the
/// per-node record, CacheNodeRecord (docs/cache.md).
/// </summary>
public interface ICacheObserver
{
    Task ModuleStoredAsync(WantedModule wanted, ModuleEntry entry, CancellationToken cancellationToken);

    /// <summary>A fetch failed with a reason different from the last one for this module.</summary>
    Task ModuleFailedAsync(WantedModule wanted, string reason, CancellationToken cancellationToken);

    /// <summary>The set of modules held on this node changed.</summary>
    Task HeldModulesChangedAsync(IReadOnlySet<ModuleDigest> held, CancellationToken cancellationToken);
}

/// <summary>For running without Kubernetes.</summary>
public sealed class NullCacheObserver : ICacheObserver
{
    public static NullCacheObserver Instance { get; } = new();

    public Task ModuleStoredAsync(WantedModule wanted, ModuleEntry entry, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ModuleFailedAsync(WantedModule wanted, string reason, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task HeldModulesChangedAsync(IReadOnlySet<ModuleDigest> held, CancellationToken cancellationToken) => Task.CompletedTask;
}
