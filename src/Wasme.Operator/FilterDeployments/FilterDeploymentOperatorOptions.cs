using Wasme.Operator.HostPath;

namespace Wasme.Operator.FilterDeployments;

/// <summary>How the FilterDeployment controller watches and retries.</summary>
public sealed record FilterDeploymentOperatorOptions
{
    /// <summary>Watch one namespace only; null watches all.</summary>
    public string? Namespace { get; init; }

    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    public int Workers { get; init; } = 4;

    /// <summary>How long one reconcile may take before it is cancelled and retried, so a stuck call cannot hold a worker.</summary>
    public TimeSpan ReconcileDeadline { get; init; } = Reconciliation.Controller.DefaultDeadline;

    /// <summary>First retry delay after a failed reconcile; doubles per consecutive failure of the same key.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(5);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait between looks for a CRD that is not installed (WasmPlugin before Istio 1.12).</summary>
    public TimeSpan CrdRediscoveryMax { get; init; } = TimeSpan.FromMinutes(1);

    public FilterDeploymentReconcilerOptions Reconciler { get; init; } = new();

    /// <summary>HostPath's readiness gate: where the caches' node records are, how often a waiting FilterDeployment looks again.</summary>
    public ModuleDistributionOptions ModuleDistribution { get; init; } = new();

    /// <summary>Ask istiod which Istio serves each namespace (else <see cref="FilterDeploymentReconcilerOptions.Translation"/>'s version is used as is).</summary>
    public bool DetectIstioVersion { get; init; }
}
