using System.Net;
using k8s.Autorest;

namespace Wasme.Kubernetes.Clients;

/// <summary>Classifies API errors the way apimachinery's <c>errors.IsNotFound</c> and friends do.</summary>
public static class KubernetesErrors
{
    public static bool IsNotFound(Exception exception) => StatusOf(exception) == HttpStatusCode.NotFound;

    public static bool IsConflict(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    public static bool IsAlreadyExists(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    public static bool IsGone(Exception exception) => StatusOf(exception) == HttpStatusCode.Gone
        || exception is k8s.KubernetesException { Status.Code: 410 };

    public static HttpStatusCode? StatusOf(Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        k8s.KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        _ => null,
    };
}
