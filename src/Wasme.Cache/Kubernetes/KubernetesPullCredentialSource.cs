using System.Text;
using k8s;
using Wasme.Cache.Fetching;
using Wasme.Oci.Registry.Auth;
using Wasme.Kubernetes.Clients;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// Reads a FilterDeployment's pull secret at fetch time (never cached on disk, never logged):
/// a <c>kubernetes.io/dockerconfigjson</c> secret, or the original wasme form with
/// <c>username</c> and <c>password</c> keys.
/// </summary>
public sealed class KubernetesPullCredentialSource(IKubernetes client) : IPullCredentialSource
{
    public async ValueTask<ICredentialProvider> GetAsync(SecretReference? secret, CancellationToken cancellationToken)
    {
        if (secret is null)
        {
            return AnonymousCredentialProvider.Instance;
        }

        k8s.Models.V1Secret value;
        try
        {
            value = await client.CoreV1.ReadNamespacedSecretAsync(secret.Name, secret.Namespace, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            throw new InvalidOperationException(
                $"Pull secret {secret} does not exist. Create it (kubectl create secret docker-registry {secret.Name} -n {secret.Namespace} …) or remove imagePullOptions.pullSecret.", ex);
        }

        var data = value.Data ?? new Dictionary<string, byte[]>();
        if (data.TryGetValue(".dockerconfigjson", out var dockerConfig))
        {
            return DockerConfigCredentialProvider.FromJson(dockerConfig);
        }

        if (data.TryGetValue("username", out var username) && data.TryGetValue("password", out var password))
        {
            return new StaticCredentialProvider(new RegistryCredential(Encoding.UTF8.GetString(username), Encoding.UTF8.GetString(password)));
        }

        throw new InvalidOperationException(
            $"Pull secret {secret} has neither a '.dockerconfigjson' key (type kubernetes.io/dockerconfigjson) nor 'username' and 'password' keys.");
    }
}
