using Wasme.Istio.Api;
using Wasme.Istio.Validation;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// What istiod does with a WasmPlugin's <c>imagePullSecret</c>: it hands istio-agent only a Secret of type
/// <c>kubernetes.io/dockerconfigjson</c> (istio/istio pilot/pkg/credentials/kube, GetDockerCredential). The operator and the
/// cache also read <c>dockercfg</c> and username/password Secrets, so such a FilterDeployment resolves here while the proxies
/// pull without credentials.
/// </summary>
public static class WasmPluginPullSecret
{
    public const string DockerConfigJsonType = "kubernetes.io/dockerconfigjson";

    /// <summary>A warning for the <c>Applied</c> condition, or null when istiod can pass the secret on (or none is used).</summary>
    public static string? Warning(FilterDeployment deployment, string? secretType)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var secret = deployment.Spec.Filter?.ImagePullOptions?.PullSecret;
        if ((deployment.Spec.Deployment?.Istio?.Delivery ?? DeliveryMode.Remote) != DeliveryMode.WasmPlugin
            || string.IsNullOrEmpty(secret) || secretType is null || secretType == DockerConfigJsonType)
        {
            return null;
        }

        var ns = FilterDeploymentValidator.EffectiveNamespace(deployment);
        return $"istiod passes only {DockerConfigJsonType} pull secrets to the proxies, and {ns}/{secret} is of type {secretType}: "
            + $"istio-agent pulls {deployment.Spec.Filter!.Image} without credentials; recreate it with kubectl create secret docker-registry {secret} -n {ns} ...";
    }
}
