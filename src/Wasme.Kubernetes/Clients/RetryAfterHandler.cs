using System.Net;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Sends a read (GET: get, list, watch) again when the API server refused it with <c>Retry-After</c>, after that many
/// seconds, at most <see cref="MaxRetries"/> times: client-go's rule (429 or any 5xx carrying the header). API Priority and
/// Fairness throttles this way; KubernetesClient passes the 429 straight up, so informers came back on their own schedule
/// into a server that had asked them to wait. Writes are not sent again here, unlike client-go: the operator checks its
/// Lease before each write, and one sent seconds later would skip that check; their callers retry them, after
/// <see cref="KubernetesErrors.RetryAfter"/>. Other failures pass through.
/// </summary>
public sealed class RetryAfterHandler(TimeProvider timeProvider) : DelegatingHandler
{
    /// <summary>client-go's default: the request fails with the server's last answer after this many waits.</summary>
    public const int MaxRetries = 10;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var read = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head;
        for (var attempt = 0; ; attempt++)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!read || attempt >= MaxRetries || WaitFor(response) is not { } wait)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(wait, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    // Seconds only, as client-go reads the header; a date or a malformed value is not a request to wait.
    private static TimeSpan? WaitFor(HttpResponseMessage response) =>
        (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
        && response.Headers.RetryAfter?.Delta is { } delta && delta >= TimeSpan.Zero
            ? delta
            : null;
}
