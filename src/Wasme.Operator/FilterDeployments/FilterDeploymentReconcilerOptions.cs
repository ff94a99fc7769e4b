using Wasme.Istio.Translation;
using Wasme.Signing.Bundles;

namespace Wasme.Operator.FilterDeployments;

/// <summary>Settings of the FilterDeployment reconciler.</summary>
public sealed record FilterDeploymentReconcilerOptions
{
    /// <summary>Finalizer that holds a FilterDeployment until what it configured is removed.</summary>
    public const string Finalizer = "wasme.io/cleanup";

    /// <summary>Cluster facts for the translation (Istio version, cache Service address).</summary>
    public TranslationOptions Translation { get; init; } = new();

    /// <summary>How often an image tag is resolved again, so a moved tag reaches the proxies.</summary>
    public TimeSpan ImageRefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Sigstore trusted root for keyless <c>spec.filter.verification.identities</c>; null refuses them with the fix.</summary>
    public TrustedRoot? SigstoreTrustedRoot { get; init; }
}
