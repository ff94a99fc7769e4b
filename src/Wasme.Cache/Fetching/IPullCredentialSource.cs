using Wasme.Oci.Registry.Auth;

namespace Wasme.Cache.Fetching;

/// <summary>Turns a FilterDeployment's pull secret into registry credentials (Kubernetes reads the Secret).</summary>
public interface IPullCredentialSource
{
    ValueTask<ICredentialProvider> GetAsync(SecretReference? secret, CancellationToken cancellationToken);
}

/// <summary>Anonymous pulls only: for running without Kubernetes.</summary>
public sealed class AnonymousPullCredentialSource : IPullCredentialSource
{
    public static AnonymousPullCredentialSource Instance { get; } = new();

    public ValueTask<ICredentialProvider> GetAsync(SecretReference? secret, CancellationToken cancellationToken) =>
        secret is null
            ? ValueTask.FromResult<ICredentialProvider>(AnonymousCredentialProvider.Instance)
            : throw new InvalidOperationException($"Pull secret {secret} cannot be read without Kubernetes access; run the cache with a kubeconfig or in-cluster.");
}
