using k8s;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// The Kubernetes client every wasme component uses (CLI, operator, cache): its name in the User-Agent (the field manager of
/// its writes), and a read the API server refused with <c>Retry-After</c> sent again after that wait (<see cref="RetryAfterHandler"/>).
/// </summary>
public static class KubernetesClientFactory
{
    /// <param name="config">The cluster, from <see cref="Configuration.ClusterConfig"/>.</param>
    /// <param name="component">The name the API server records for this component (<c>wasme</c>, <c>wasme-operator</c>, <c>wasme-cache</c>).</param>
    /// <param name="timeProvider">The clock Retry-After waits are measured on.</param>
    /// <param name="handlers">More handlers, innermost last (each sees every attempt).</param>
    public static IKubernetes Create(KubernetesClientConfiguration config, string component, TimeProvider timeProvider, params DelegatingHandler[] handlers) =>
        new k8s.Kubernetes(config, [new ClientIdentityHandler(component), new RetryAfterHandler(timeProvider), .. handlers]);
}
