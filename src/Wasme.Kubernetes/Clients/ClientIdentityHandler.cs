using System.Net.Http.Headers;
using System.Reflection;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Names the wasme component in each request's User-Agent. kube-apiserver records the part before the slash as the
/// field manager of every create, update and patch (<c>kubectl get -o yaml --show-managed-fields</c>), so on day 2 one
/// can tell what the operator wrote from what the CLI, the cache or a person did; KubernetesClient's own
/// <c>kubernetes-csharp</c> made them all look alike.
/// </summary>
public sealed class ClientIdentityHandler(string component) : DelegatingHandler
{
    private readonly ProductInfoHeaderValue _product = new(component, Version());

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.UserAgent.Clear();
        request.Headers.UserAgent.Add(_product);
        return base.SendAsync(request, cancellationToken);
    }

    private static string Version()
    {
        var version = typeof(ClientIdentityHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        // A product token's version may not carry build metadata separators such as '+'.
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
