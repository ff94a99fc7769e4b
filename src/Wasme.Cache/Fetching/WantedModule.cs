namespace Wasme.Cache.Fetching;

/// <summary>
/// A module the cluster wants on this node: the image pinned by digest, the sha256 of the module
/// inside it, and how to pull it. Built from FilterDeployments (see docs/cache.md).
/// </summary>
/// <param name="Module">sha256 of the module bytes; the file name and the HTTP key.</param>
/// <param name="Image">The image reference pinned by manifest digest, e.g. <c>registry:5000/repo@sha256:…</c>.</param>
/// <param name="PullSecret">A <c>kubernetes.io/dockerconfigjson</c> secret, or null for anonymous pulls.</param>
/// <param name="PlainHttp">Talk to the registry over plain HTTP (only when the FilterDeployment asks).</param>
/// <param name="InsecureSkipVerify">Skip TLS verification (only when the FilterDeployment asks).</param>
/// <param name="Verification">Signatures the image must carry before its module is fetched (an enforced <c>spec.filter.verification</c>).</param>
public sealed record WantedModule(
    ModuleDigest Module,
    string Image,
    SecretReference? PullSecret = null,
    bool PlainHttp = false,
    bool InsecureSkipVerify = false,
    ModuleVerification? Verification = null);

/// <summary>
/// The policy an image must satisfy, or why the declared policy cannot be used (then nothing is fetched).
/// The cache verifies on its own rather than trusting the status it reads.
/// </summary>
public sealed record ModuleVerification(Wasme.Signing.Verification.VerificationPolicy? Policy, string? Problem);

/// <summary>A namespaced Kubernetes Secret name.</summary>
public sealed record SecretReference(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}
