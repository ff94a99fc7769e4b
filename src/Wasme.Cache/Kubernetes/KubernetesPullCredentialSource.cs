using System.Net;
using System.Text;
using k8s;
using Wasme.Cache.Fetching;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry.Auth;
using Wasme.Kubernetes.Clients;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// Reads a FilterDeployment's pull secret at fetch time (never cached on disk, never logged):
/// a <c>kubernetes.io/dockerconfigjson</c> secret, or the original wasme form with
/// <c>username</c> and <c>password</c> keys (a legacy <c>kubernetes.io/dockercfg</c> one too, as the kubelet reads it).
/// Each refusal names the secret and the fix: it becomes the reason in <c>ModuleFetchFailed</c>.
/// </summary>
// cacheNamespace: where the cache's ServiceAccount lives, for the RoleBinding a 403 asks for.
public sealed class KubernetesPullCredentialSource(IKubernetes client, string cacheNamespace = "wasme") : IPullCredentialSource
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

        catch (Exception ex) when (KubernetesErrors.StatusOf(ex) == HttpStatusCode.Forbidden)
        {
            throw new InvalidOperationException(
                $"The cache may not read pull secret {secret} (403 Forbidden). Grant it in namespace {secret.Namespace}: " +
                $"kubectl create rolebinding wasme-pull-secret-reader -n {secret.Namespace} --clusterrole wasme-pull-secret-reader --serviceaccount {cacheNamespace}:wasme-cache (docs/install.md).",
                ex);
        }

        var data = value.Data ?? new Dictionary<string, byte[]>();
        foreach (var key in (ReadOnlySpan<string>)[".dockerconfigjson", ".dockercfg"])
        {
            if (data.TryGetValue(key, out var dockerConfig))
            {
                try
                {
                    return DockerConfigCredentialProvider.FromJson(dockerConfig);
                }
                catch (OciUsageException ex)
                {
                    // Its own message speaks of a local config file and 'wasme login', neither of which applies to a Secret; the
                    // parser's details stay out, as they may quote the secret's bytes.
                    throw new InvalidOperationException(
                        $"Pull secret {secret}: its '{key}' is not a Docker config file (JSON with an 'auths' map). " +
                        $"Recreate it: kubectl create secret docker-registry {secret.Name} -n {secret.Namespace} --docker-server … --docker-username … --docker-password ….",
                        ex);
                }
            }
        }

        if (data.TryGetValue("username", out var username) && data.TryGetValue("password", out var password))
        {
            return new StaticCredentialProvider(new RegistryCredential(Encoding.UTF8.GetString(username), Encoding.UTF8.GetString(password)));
        }

        throw new InvalidOperationException(
            $"Pull secret {secret} has neither a '.dockerconfigjson' key (type kubernetes.io/dockerconfigjson) nor 'username' and 'password' keys. " +
            $"Recreate it: kubectl create secret docker-registry {secret.Name} -n {secret.Namespace} --docker-server … --docker-username … --docker-password ….");
    }
}
