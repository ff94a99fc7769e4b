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

    /// <summary>
    /// The API server could not be reached or did not act: a transport failure, 429 (throttled) or a 5xx. Nothing in the
    /// request is wrong; the same request later can succeed.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception is HttpRequestException
        || StatusOf(exception) is { } status && ((int)status == 429 || (int)status >= 500);

    /// <summary>429: API Priority and Fairness (or a proxy) asked the client to come back later.</summary>
    public static bool IsTooManyRequests(Exception exception) => StatusOf(exception) == HttpStatusCode.TooManyRequests;

    /// <summary>
    /// Nothing listens at the API server's address (TCP connection refused), as while kube-apiserver restarts: apimachinery's
    /// <c>utilnet.IsConnectionRefused</c>, which looks through the wrapped errors.
    /// </summary>
    public static bool IsConnectionRefused(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How long the API server asked to wait before the request is sent again (<c>Retry-After</c> in seconds), if it did.</summary>
    public static TimeSpan? RetryAfter(Exception exception) =>
        exception is HttpOperationException { Response.Headers: { } headers }
        && headers.FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() is { } value
        && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>
    /// One line for a log or a status: what the API server answered (its Status's reason and message, as kubectl prints
    /// them, not the JSON), or that it could not be reached and why.
    /// </summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            HttpOperationException { Response: { } response } => $"the Kubernetes API server answered {(int)response.StatusCode}{StatusText(response.Content)}",
            k8s.KubernetesException { Status: { } status } => $"the Kubernetes API server answered {status.Code} ({status.Reason}): {status.Message}",
            HttpRequestException => $"the Kubernetes API server cannot be reached: {exception.Message}",
            _ => exception.Message,
        };
    }

    /// <summary>
    /// kube-apiserver answers errors with a v1 Status: its reason and message as kubectl prints them (<c> (NotFound): …</c>),
    /// not the JSON document; another body as it came; empty for none.
    /// </summary>
    public static string StatusText(string? content)
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(content ?? string.Empty) is System.Text.Json.Nodes.JsonObject body
                && body["kind"]?.GetValue<string>() == "Status"
                && body["message"]?.GetValue<string>() is { Length: > 0 } message)
            {
                return body["reason"]?.GetValue<string>() is { Length: > 0 } reason ? $" ({reason}): {message}" : $": {message}";
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            // Not a Status (API Priority and Fairness answers 429 in plain text): the body as it came, below.
        }

        return string.IsNullOrWhiteSpace(content) ? "" : $": {content.Trim()}";
    }

    public static HttpStatusCode? StatusOf(Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        k8s.KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        _ => null,
    };
}
