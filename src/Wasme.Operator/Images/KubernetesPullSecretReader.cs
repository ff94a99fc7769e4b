using System.Text;
using k8s;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry.Auth;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.Images;

/// <summary>
/// Reads a pull secret with a single <c>get</c> (no list or watch of Secrets, so RBAC can stay narrow):
/// a <c>kubernetes.io/dockerconfigjson</c> or <c>dockercfg</c> secret, or the original wasme's
/// <c>username</c>/<c>password</c> keys. Credential values never reach logs or messages.
/// </summary>
public sealed class KubernetesPullSecretReader : IPullSecretReader
{
    private readonly IKubernetes _client;

    public KubernetesPullSecretReader(IKubernetes client)
    {
        _client = client;
    }

    public async Task<PullCredentials> ReadAsync(string namespaceName, string? secretName, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(secretName))
        {
            return PullCredentials.Anonymous;
        }

        k8s.Models.V1Secret secret;
        try
        {
            secret = await _client.CoreV1.ReadNamespacedSecretAsync(secretName, namespaceName, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            throw new ImageResolutionException(ImageResolutionFailure.PullSecretInvalid, $"pull secret {namespaceName}/{secretName} does not exist; create it (kubectl create secret docker-registry {secretName} -n {namespaceName} ...) or remove spec.filter.imagePullOptions.pullSecret", ex);
        }

        var data = secret.Data ?? new Dictionary<string, byte[]>();
        try
        {
            if (data.TryGetValue(".dockerconfigjson", out var configJson) || data.TryGetValue(".dockercfg", out configJson))
            {
                return new PullCredentials(DockerConfigCredentialProvider.FromJson(configJson), secret.Type);
            }
        }
        catch (OciException ex)
        {
            throw new ImageResolutionException(ImageResolutionFailure.PullSecretInvalid, $"pull secret {namespaceName}/{secretName} holds no valid docker config JSON; recreate it with kubectl create secret docker-registry", ex);
        }

        if (data.TryGetValue("username", out var user) && data.TryGetValue("password", out var password))
        {
            return new PullCredentials(new StaticCredentialProvider(new RegistryCredential(Encoding.UTF8.GetString(user), Encoding.UTF8.GetString(password))), secret.Type);
        }

        throw new ImageResolutionException(ImageResolutionFailure.PullSecretInvalid, $"pull secret {namespaceName}/{secretName} has neither a .dockerconfigjson key nor username and password keys; recreate it with kubectl create secret docker-registry");
    }
}
