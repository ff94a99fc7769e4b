namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Identifies one object to reconcile. Carries only namespace and name: reconciliation is
/// level-triggered, so the reconciler reads everything else from current state.
/// </summary>
public readonly record struct ObjectKey(string? Namespace, string Name)
{
    public override string ToString() => Namespace is null ? Name : $"{Namespace}/{Name}";
}
