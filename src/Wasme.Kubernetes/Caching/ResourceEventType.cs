namespace Wasme.Kubernetes.Caching;

/// <summary>What an informer observed about one object.</summary>
public enum ResourceEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>Periodic resync: nothing changed, but look again (level-triggered safety net).</summary>
    Resync,
}
