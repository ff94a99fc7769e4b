namespace Wasme.Operator.HostPath;

/// <summary>Where the caches report which modules their nodes hold, and how often a waiting HostPath FilterDeployment looks again.</summary>
public sealed record ModuleDistributionOptions
{
    /// <summary>Namespace of the caches' CacheNodeRecords (the cache's own namespace).</summary>
    public string CacheNamespace { get; init; } = "wasme";

    /// <summary>
    /// How soon a FilterDeployment waiting for nodes or a rollout is reconciled again. Node records are watched (a change
    /// requeues at once); pods are listed per look, not watched, so this bounds how late a finished rollout is noticed.
    /// </summary>
    public TimeSpan RecheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How soon a served HostPath FilterDeployment is looked at again, so that pods scheduled later on a node without the
    /// module (scale-out, a new node) show in its status without a pod watch.
    /// </summary>
    public TimeSpan ServedRecheckInterval { get; init; } = TimeSpan.FromMinutes(1);
}
