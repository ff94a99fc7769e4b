using Wasme.Oci.Registry.Auth;

namespace Wasme.Operator.Images;

/// <summary>Turns the pull secret named in a FilterDeployment into registry credentials.</summary>
public interface IPullSecretReader
{
    /// <exception cref="ImageResolutionException">With <see cref="ImageResolutionFailure.PullSecretInvalid"/> when the secret is missing or unusable.</exception>
    Task<PullCredentials> ReadAsync(string namespaceName, string? secretName, CancellationToken cancellationToken);
}

/// <summary>Registry credentials read from a pull secret.</summary>
/// <param name="Provider">The credentials; anonymous without a secret.</param>
/// <param name="SecretType">The Secret's <c>type</c> (istiod passes only <c>kubernetes.io/dockerconfigjson</c> on to istio-agent); null without a secret.</param>
public sealed record PullCredentials(ICredentialProvider Provider, string? SecretType)
{
    public static PullCredentials Anonymous { get; } = new(AnonymousCredentialProvider.Instance, null);
}
