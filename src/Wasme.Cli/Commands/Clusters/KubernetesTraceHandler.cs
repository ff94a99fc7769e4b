using System.Net.Http.Headers;
using Spectre.Console;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Clusters;

/// <summary>
/// Between a command and the Kubernetes API: with <c>--verbose</c> one line per request (method, URL, status, time),
/// with <c>--debug</c> also the headers, credentials redacted; and an API that cannot be reached becomes
/// <see cref="KubernetesUnreachableException"/>, reported as a network failure (exit 5).
/// </summary>
internal sealed class KubernetesTraceHandler(CliContext context, Verbosity verbosity) : DelegatingHandler
{
    private static readonly HashSet<string> Secret = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
    };

    private readonly Lock _gate = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri?.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped) ?? "?";
        if (verbosity == Verbosity.Debug)
        {
            Headers($"> {request.Method} {url}", request.Headers);
        }

        var started = context.TimeProvider.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new KubernetesUnreachableException($"cannot reach the Kubernetes API: {e.Message}", e);
        }

        if (verbosity == Verbosity.Debug)
        {
            Headers($"< {(int)response.StatusCode} {response.ReasonPhrase}", response.Headers);
        }
        else if (verbosity == Verbosity.Verbose)
        {
            context.Error.WriteLine($"{request.Method} {url} -> {(int)response.StatusCode} ({context.TimeProvider.GetElapsedTime(started).TotalMilliseconds:0} ms)", Style.Plain);
        }

        return response;
    }

    private void Headers(string first, HttpHeaders headers)
    {
        var lines = new List<string> { first };
        lines.AddRange(headers.Select(h => $"  {h.Key}: {(Secret.Contains(h.Key) ? "<redacted>" : string.Join(", ", h.Value))}"));
        lock (_gate)
        {
            foreach (var line in lines)
            {
                context.Error.WriteLine(line, Style.Plain);
            }
        }
    }
}

/// <summary>
/// The Kubernetes API could not be reached (connection refused, DNS, TLS): exit 5. Still an HttpRequestException, so
/// code that retries those (informers, waits) keeps doing so.
/// </summary>
internal sealed class KubernetesUnreachableException : HttpRequestException
{
    public KubernetesUnreachableException()
    {
    }

    public KubernetesUnreachableException(string message)
        : base(message)
    {
    }

    public KubernetesUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
