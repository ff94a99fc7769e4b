using System.Net;
using k8s.Autorest;

namespace Wasme.Kubernetes.Clients;

/// <summary>Classifies API errors the way apimachinery's <c>errors.IsNotFound</c> and friends do.</summary>
public static class KubernetesErrors
{
    public static bool IsNotFound(Exception exception) => StatusOf(exception) == HttpStatusCode.NotFound;

    public static bool IsConflict(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    public static bool IsAlreadyExists(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    /// <summary>
    /// A create refused because its namespace is being deleted (the NamespaceLifecycle admission plugin's 403, with cause
    /// <c>NamespaceTerminating</c>): nothing to fix, the namespace controller is about to delete the object's owner too.
    /// </summary>
    public static bool IsNamespaceTerminating(Exception exception) =>
        StatusOf(exception) == HttpStatusCode.Forbidden
        && exception is HttpOperationException { Response.Content: { } content }
        && (content.Contains("\"NamespaceTerminating\"", StringComparison.Ordinal) || content.Contains("because it is being terminated", StringComparison.Ordinal));

    public static bool IsGone(Exception exception) => StatusOf(exception) == HttpStatusCode.Gone
        || exception is k8s.KubernetesException { Status.Code: 410 };

    public static HttpStatusCode? StatusOf(Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        k8s.KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        _ => null,
    };
}
