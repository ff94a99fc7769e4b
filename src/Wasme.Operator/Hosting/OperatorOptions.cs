using Wasme.Istio.Versions;

namespace Wasme.Operator.Hosting;

/// <summary>Everything <c>wasme operator</c> can be told; validated at start by <see cref="OperatorOptionsValidator"/>.</summary>
public sealed record OperatorOptions
{
    /// <summary>Kubeconfig file; null uses the in-cluster service account, then <c>$KUBECONFIG</c> / <c>~/.kube/config</c>.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Watch one namespace only; null watches all namespaces.</summary>
    public string? Namespace { get; init; }

    /// <summary>Take a Lease before reconciling, so only one replica acts at a time.</summary>
    public bool LeaderElect { get; init; }

    /// <summary>Name of the coordination.k8s.io/v1 Lease the replicas compete for.</summary>
    public string LeaseName { get; init; } = "wasme-operator";

    /// <summary>Namespace of the Lease; default the pod's namespace (<c>POD_NAMESPACE</c>) or <c>wasme</c>.</summary>
    public string? LeaseNamespace { get; init; }

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>host:port</c> of the Prometheus <c>/metrics</c> endpoint; empty turns it off.</summary>
    public string MetricsAddress { get; init; } = "0.0.0.0:9091";

    /// <summary><c>host:port</c> of <c>/healthz</c> and <c>/readyz</c>.</summary>
    public string HealthAddress { get; init; } = "0.0.0.0:8081";

    /// <summary>How often every FilterDeployment is reconciled even when nothing changed.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often image tags are resolved again.</summary>
    public TimeSpan ImageRefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Base URL of the node cache Service that serves modules (Remote delivery).</summary>
    public Uri CacheServiceUrl { get; init; } = new("http://wasme-cache.wasme.svc.cluster.local:9979");

    /// <summary>Namespace of the node caches' CacheNodeRecords (HostPath's readiness gate); default <c>$POD_NAMESPACE</c>, else <c>wasme</c>.</summary>
    public string? CacheNamespace { get; init; }

    /// <summary>Istio release the generated resources target; null asks istiod per namespace (falling back to the newest).</summary>
    public IstioVersion? IstioVersion { get; init; }

    /// <summary>This replica's identity in the Lease; default the host name plus a random suffix.</summary>
    public string? Identity { get; init; }

    /// <summary>Sigstore <c>trusted_root.json</c> for keyless <c>spec.filter.verification.identities</c>; null refuses those.</summary>
    public string? SigstoreTrustedRoot { get; init; }

    /// <summary>Concurrent reconciles (different keys only; one key is never reconciled twice at once).</summary>
    public int Workers { get; init; } = 4;
}
