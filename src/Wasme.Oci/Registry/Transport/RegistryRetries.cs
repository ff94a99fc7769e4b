using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Wasme.Oci.Registry.Transport;

/// <summary>
/// When and how long to wait before sending a registry request again (Polly's retry strategy):
/// exponential backoff with jitter, a registry's <c>Retry-After</c> honoured up to
/// <see cref="RegistryClientOptions.MaxRetryDelay"/>, and only failures that are transient for a
/// request that may be sent twice.
/// </summary>
internal static class RegistryRetries
{
    /// <summary>The method of the request being retried, set by the attempt that sends it.</summary>
    public static readonly ResiliencePropertyKey<HttpMethod> Method = new("wasme.registry.method");

    /// <summary>The URL of the request last sent: a failure without a response carries none for the retry warning.</summary>
    public static readonly ResiliencePropertyKey<Uri?> Target = new("wasme.registry.target");

    public static ResiliencePipeline<HttpResponseMessage> ForRequests(RegistryClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        if (options.MaxRetries == 0)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.Properties.GetValue(Method, HttpMethod.Get), options, timeProvider)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response, timeProvider) : null),
                OnRetry = args =>
                {
                    var method = args.Context.Properties.GetValue(Method, HttpMethod.Get).Method;
                    var uri = args.Outcome.Result?.RequestMessage?.RequestUri ?? args.Context.Properties.GetValue(Target, null);
                    var target = uri?.GetLeftPart(UriPartial.Path) ?? "request";
                    var reason = args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : args.Outcome.Exception?.Message ?? "failure";
                    RegistryLog.Retrying(logger, method, target, reason, args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Retries a whole blob download whose connection broke mid-body (the download starts over).</summary>
    public static ResiliencePipeline ForBrokenDownloads(RegistryClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        if (options.MaxRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is IOException && !args.Context.CancellationToken.IsCancellationRequested),
                OnRetry = args =>
                {
                    RegistryLog.Retrying(logger, "GET", "blob", args.Outcome.Exception?.Message ?? "broken connection", args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Statuses worth another try: 408, 429 and 5xx except those that will not change
    /// (501 Not Implemented, 505 HTTP Version Not Supported, 511 Network Authentication Required).
    /// </summary>
    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || ((int)status >= 500 && status is not (HttpStatusCode.NotImplemented or HttpStatusCode.HttpVersionNotSupported or HttpStatusCode.NetworkAuthenticationRequired));

    /// <summary>The wait a 429 or 503 asks for (<c>Retry-After</c> in seconds or as an HTTP date), if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        var wait = header.Delta ?? (header.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        return wait is { } w && w < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>True when the registry asks for a longer wait than wasme is willing to make.</summary>
    public static bool WaitTooLong(HttpResponseMessage response, RegistryClientOptions options, TimeProvider timeProvider) =>
        RetryAfter(response, timeProvider) is { } wait && wait > options.MaxRetryDelay;

    /// <summary>Whether the outcome of a request sent with <paramref name="method"/> is worth another try.</summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpMethod method, RegistryClientOptions options, TimeProvider timeProvider)
    {
        // GET, HEAD and PUT may be sent twice; POST (start an upload) and PATCH (a chunk) only
        // when the registry cannot have acted on them.
        var idempotent = method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put || method == HttpMethod.Delete;
        return outcome switch
        {
            { Exception: HttpRequestException ex } => idempotent || NeverSent(ex),
            { Result: { } response } => IsTransient(response.StatusCode)
                && (idempotent || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                && !WaitTooLong(response, options, timeProvider),
            _ => false,
        };
    }

    /// <summary>Failures before the request left: no connection, no name, no TLS session.</summary>
    private static bool NeverSent(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;
}
