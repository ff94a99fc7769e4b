using Wasme.Oci.Registry.Auth;

namespace Wasme.Operator.Images;

/// <summary>Turns the pull secret named in a FilterDeployment into registry credentials.</summary>
public interface IPullSecretReader
{
    /// <exception cref="ImageResolutionException">With <see cref="ImageResolutionFailure.PullSecretInvalid"/> when the secret is missing or unusable.</exception>
    Task<ICredentialProvider> ReadAsync(string namespaceName, string? secretName, CancellationToken cancellationToken);
}
