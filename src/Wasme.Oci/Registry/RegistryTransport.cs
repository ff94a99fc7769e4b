using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Registry.Transport;

namespace Wasme.Oci.Registry;

/// <summary>
/// Sends one logical registry request: retries transient failures (<see cref="RegistryRetries"/>),
/// follows redirects of GET and HEAD by hand, answers the registry's own 401 challenges with Basic
/// or a Bearer token for the request's scope, and cancels exchanges that stall (<see cref="IdleTimeout"/>).
/// Credentials go only to the registry's own origin (scheme, host and port) and its token service:
/// never to a redirect target or upload location elsewhere, whatever they ask.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private const int MaxRedirects = 5;
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly ICredentialProvider _credentials;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lazy<ResiliencePipeline<HttpResponseMessage>> _retries;
    private readonly Lazy<ResiliencePipeline> _brokenDownloadRetries;
    private readonly Dictionary<string, AuthenticationHeaderValue> _authorizations = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public RegistryTransport(RegistryClientOptions options, ICredentialProvider credentials, ILogger logger, TimeProvider timeProvider, HttpMessageHandler? handler)
    {
        _options = options;
        _credentials = credentials;
        _logger = logger;
        _timeProvider = timeProvider;
        // Built on the first failure worth retrying, not up front: building a Polly pipeline validates
        // its options by reflection, milliseconds of CPU per command that nearly every command never needs.
        _retries = new(() => RegistryRetries.ForRequests(options, timeProvider, logger));
        _brokenDownloadRetries = new(() => RegistryRetries.ForBrokenDownloads(options, timeProvider, logger));
        handler ??= CreateHandler(options);
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = options.RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
    }

    /// <summary>
    /// Runs a blob download, and starts it again (<see cref="RegistryRetries.ForBrokenDownloads"/>) when
    /// its connection broke mid-body. The first run goes out directly; only a broken one brings in the
    /// retry pipeline, which then sees that first failure as its first attempt's.
    /// </summary>
    public async Task RunDownloadAsync(Func<CancellationToken, Task> download, CancellationToken cancellationToken)
    {
        ExceptionDispatchInfo? broken;
        try
        {
            await download(cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (IOException ex) when (_options.MaxRetries > 0 && !cancellationToken.IsCancellationRequested)
        {
            broken = ExceptionDispatchInfo.Capture(ex);
        }

        await _brokenDownloadRetries.Value.ExecuteAsync(
            async token =>
            {
                if (Interlocked.Exchange(ref broken, null) is { } first)
                {
                    first.Throw();
                }

                await download(token).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    public Uri BaseUri(string registry)
    {
        var scheme = _options.PlainHttp || ImageReference.IsLoopbackHost(registry) ? "http" : "https";
        var host = registry == ImageReference.DefaultRegistry ? "registry-1.docker.io" : registry;
        return new Uri($"{scheme}://{host}/");
    }

    /// <summary>
    /// Sends the request built by <paramref name="createRequest"/> (called again for each attempt, so
    /// bodies must be re-creatable). Returns any final response; the caller maps statuses it expects.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        string registry,
        IReadOnlyList<string> scopes,
        Func<HttpRequestMessage> createRequest,
        CancellationToken cancellationToken)
    {
        var home = BaseUri(registry);
        var scopeKey = registry + "|" + string.Join(' ', scopes);
        var anonymous = false;
        for (var authenticated = false; ; authenticated = true)
        {
            AuthenticationHeaderValue? authorization;
            lock (_gate)
            {
                authorization = _authorizations.GetValueOrDefault(scopeKey) ?? _authorizations.GetValueOrDefault(registry + "|basic");
            }

            var response = await SendWithRetriesAsync(registry, new Attempt(this, home, authorization, createRequest), cancellationToken).ConfigureAwait(false);
            var answeredBy = response.RequestMessage?.RequestUri;
            if (response.StatusCode == HttpStatusCode.Unauthorized && (answeredBy is null || !SameOrigin(answeredBy, home)))
            {
                // A redirect target or an upload location on another host asks for credentials: it gets none.
                response.Dispose();
                throw new OciAuthException($"Registry {registry} sent the request on to {answeredBy?.GetLeftPart(UriPartial.Authority) ?? "another host"}, which asks for credentials; wasme sends the credentials for {registry} to no other host. Ask the registry's operator to serve the content without a challenge (e.g. a pre-signed URL).");
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && !authenticated)
            {
                (var challenge, anonymous) = await AuthorizeAsync(registry, scopes, response, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                lock (_gate)
                {
                    _authorizations[challenge.Scheme == "Basic" ? registry + "|basic" : scopeKey] = challenge;
                }

                continue;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Dispose();
                throw anonymous
                    ? new OciAuthException($"Registry {registry} refused access without credentials{(scopes.Count > 0 ? " to " + string.Join(" and ", scopes.Select(ScopeResource).Distinct()) : string.Empty)} (its token service gave an anonymous token that does not cover it): the repository is private or does not exist. Check the name, or run 'wasme login {registry}'.")
                    : new OciAuthException($"Registry {registry} rejected the credentials. Run 'wasme login {registry}' with a valid user and password.");
            }

            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                var detail = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                throw new OciAuthException($"Registry {registry} denied access{detail}. Check that your user may {string.Join(" and ", scopes.Select(ScopeActions))}.");
            }

            return response;
        }
    }

    /// <summary>
    /// From TLS to plain HTTP: what arrives could have been changed on the way, a manifest fetched by tag has no digest
    /// to check it against, and a pre-signed URL or upload location in it could be read by anyone between.
    /// </summary>
    internal static bool IsDowngrade(Uri from, Uri to) =>
        from.Scheme == Uri.UriSchemeHttps && to.Scheme == Uri.UriSchemeHttp;

    internal static OciNetworkException Downgrade(Uri home, Uri target, string what) =>
        new($"Registry {home.Authority} {what} plain HTTP at {target.GetLeftPart(UriPartial.Authority)}; refused, as what travels there could be read and altered on the way. Ask the registry's operator to serve it over HTTPS.");

    /// <summary>Same scheme, host and port: the only place the registry's credentials may go.</summary>
    internal static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private async Task<HttpResponseMessage> SendWithRetriesAsync(string registry, Attempt attempt, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendRetryingAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var retried = attempt.Count > 1 ? $" (tried {attempt.Count} times)" : string.Empty;
            throw new OciNetworkException($"Cannot reach registry {registry}: {ex.Message}{retried}. Check the address, that it is running, and --plain-http/--insecure.", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OciNetworkException($"Registry {registry} did not answer within {_options.RequestTimeout.TotalSeconds:0} s.", ex);
        }

        if (!RegistryRetries.IsTransient(response.StatusCode))
        {
            return response;
        }

        var status = (int)response.StatusCode;
        if (RegistryRetries.WaitTooLong(response, _options, _timeProvider))
        {
            var wait = RegistryRetries.RetryAfter(response, _timeProvider)!.Value;
            response.Dispose();
            throw new OciNetworkException($"Registry {registry} answered HTTP {status} and asks to wait {wait.TotalSeconds:0} s before trying again, longer than wasme waits ({_options.MaxRetryDelay.TotalSeconds:0} s). Try again later.");
        }

        if (attempt.Count > 1 || status is 408 or 429)
        {
            var detail = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            response.Dispose();
            throw new OciNetworkException(attempt.Count > 1
                ? $"Registry {registry} kept failing with HTTP {status}{detail} after {attempt.Count - 1} retries."
                : $"Registry {registry} answered HTTP {status}{detail}. Try again later.");
        }

        // A 5xx to a request that must not be sent twice: the caller reports it.
        return response;
    }

    /// <summary>
    /// Sends the first attempt directly and hands over to the retry pipeline only when its outcome is one
    /// <see cref="RegistryRetries"/> would retry; the pipeline then takes that outcome as its first attempt's,
    /// so delays, attempt counts and logging are the pipeline's own.
    /// </summary>
    private async Task<HttpResponseMessage> SendRetryingAsync(Attempt attempt, CancellationToken cancellationToken)
    {
        Outcome<HttpResponseMessage> first;
        try
        {
            first = Outcome.FromResult(await attempt.SendAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (_options.MaxRetries > 0 && RegistryRetries.ShouldRetry(Outcome.FromException<HttpResponseMessage>(ex), attempt.Method ?? HttpMethod.Get, _options, _timeProvider))
        {
            first = Outcome.FromException<HttpResponseMessage>(ex);
            attempt.Replay(ExceptionDispatchInfo.Capture(ex));
        }

        if (first.Exception is null && (_options.MaxRetries == 0 || !RegistryRetries.ShouldRetry(first, attempt.Method ?? HttpMethod.Get, _options, _timeProvider)))
        {
            return first.Result!;
        }

        if (first.Exception is null)
        {
            attempt.Replay(first.Result!);
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            return await _retries.Value.ExecuteAsync(static (context, attempt) => attempt.SendAsync(context), context, attempt).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Reads a bounded error body and formats it as <c>: CODE message</c> for messages.</summary>
    public static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await ReadBoundedAsync(response.Content, 64 * 1024, "an error answer", cancellationToken).ConfigureAwait(false);
            var errors = JsonSerializer.Deserialize(bytes, OciJsonContext.Default.RegistryErrors);
            var first = errors?.Errors is { Count: > 0 } list ? list[0] : null;
            return first is null ? string.Empty : $": {first.Code} {first.Message}".TrimEnd();
        }
        catch (Exception ex) when (ex is JsonException or OciException or HttpRequestException or IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>Reads a body of at most <paramref name="max"/> bytes; more is an integrity error naming <paramref name="what"/> ("the manifest of …").</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpContent content, long max, string what, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } length && length > max)
        {
            throw new OciIntegrityException($"Refused {what}: the registry sent {length} bytes where at most {max} are allowed.");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
            {
                throw new OciIntegrityException($"Refused {what}: the registry sent more than the allowed {max} bytes.");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    public void Dispose() => _http.Dispose();

    private static SocketsHttpHandler CreateHandler(RegistryClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (options.Insecure)
        {
            // The user asked for it (--insecure); the flag is never on by default.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return handler;
    }

    /// <summary>
    /// Sends one attempt and follows redirects of GET and HEAD (a redirected upload would need its
    /// body again, so other methods get the 3xx back). <c>Authorization</c> goes along only while
    /// the target is the registry's own origin: blob redirects point at storage on other hosts.
    /// </summary>
    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpRequestMessage request, Uri home, CancellationToken cancellationToken)
    {
        var original = request.RequestUri!;
        var current = request;
        for (var redirects = 0; ; redirects++)
        {
            var response = await SendWatchedAsync(current, cancellationToken).ConfigureAwait(false);
            RegistryLog.Response(_logger, current.Method.Method, current.RequestUri!.GetLeftPart(UriPartial.Path), (int)response.StatusCode);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is null || (current.Method != HttpMethod.Get && current.Method != HttpMethod.Head))
            {
                return response;
            }

            if (redirects >= MaxRedirects)
            {
                response.Dispose();
                throw new OciNetworkException($"Too many redirects fetching {original.GetLeftPart(UriPartial.Path)}.");
            }

            var target = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(current.RequestUri!, response.Headers.Location);
            response.Dispose();
            if (target.Scheme is not ("http" or "https"))
            {
                throw new OciNetworkException($"The registry redirected to an unsupported URL scheme '{target.Scheme}'.");
            }

            if (IsDowngrade(current.RequestUri!, target))
            {
                throw Downgrade(home, target, "redirected from HTTPS to");
            }

            var next = new HttpRequestMessage(current.Method, target);
            foreach (var accept in current.Headers.Accept)
            {
                next.Headers.Accept.Add(accept);
            }

            var toHome = SameOrigin(target, home);
            if (toHome)
            {
                next.Headers.Authorization = request.Headers.Authorization;
            }

            RegistryLog.Redirect(_logger, current.RequestUri!.GetLeftPart(UriPartial.Authority), target.GetLeftPart(UriPartial.Authority), toHome && next.Headers.Authorization is not null ? "kept" : "not sent");
            current = next;
        }
    }

    /// <summary>Sends one HTTP exchange under the idle timeout; the response body it returns carries the timeout on.</summary>
    private async Task<HttpResponseMessage> SendWatchedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_options.ReadTimeout == Timeout.InfiniteTimeSpan)
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }

        var idle = new IdleTimeout(_options.ReadTimeout, _timeProvider, cancellationToken);
        var owned = false;
        try
        {
            if (request.Content is { } upload)
            {
                request.Content = new IdleTimeoutContent(upload, idle);
            }

            idle.Restart();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (idle.Expired(cancellationToken))
            {
                throw new OciNetworkException($"{request.RequestUri!.Authority} did not answer {Describe(request)} within {Seconds(idle.Timeout)} s. Try again, or raise --read-timeout if the network is this slow.", ex);
            }

            idle.Stop();
            var uri = request.RequestUri!;
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var watched = new StreamContent(new IdleTimeoutStream(body, idle, (ex, arrived) => new OciNetworkException(
                $"{uri.Authority} stopped sending {Describe(request)}: {(arrived == 0 ? "nothing" : $"only {arrived} bytes")} arrived for {Seconds(idle.Timeout)} s. Try again, or raise --read-timeout if the network is this slow.", ex)));
            owned = true;
            foreach (var (name, values) in response.Content.Headers)
            {
                watched.Headers.TryAddWithoutValidation(name, values);
            }

            response.Content = watched;
            return response;
        }
        finally
        {
            if (!owned)
            {
                idle.Dispose();
            }
        }
    }

    /// <summary>What a request was for, in the user's terms: "blob sha256:… of team/filter", or its method and path.</summary>
    private static string Describe(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        var blobs = path.LastIndexOf("/blobs/", StringComparison.Ordinal);
        if (path.StartsWith("/v2/", StringComparison.Ordinal) && blobs > 4 && Digest.TryParse(path[(blobs + 7)..], out var digest))
        {
            return $"blob {digest} of {path[4..blobs]}";
        }

        var manifests = path.LastIndexOf("/manifests/", StringComparison.Ordinal);
        return path.StartsWith("/v2/", StringComparison.Ordinal) && manifests > 4
            ? $"the manifest {path[(manifests + 11)..]} of {path[4..manifests]}"
            : $"{request.Method} {path}";
    }

    private static string Seconds(TimeSpan timeout) => timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>The Authorization to send, and whether it was got without credentials (an anonymous token).</returns>
    private async Task<(AuthenticationHeaderValue Header, bool Anonymous)> AuthorizeAsync(string registry, IReadOnlyList<string> scopes, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var credential = await _credentials.GetAsync(registry, cancellationToken).ConfigureAwait(false);
        if (!AuthChallenge.TryParse(response.Headers.WwwAuthenticate, out var challenge))
        {
            throw new OciAuthException($"Registry {registry} requires authentication but sent no usable WWW-Authenticate challenge.");
        }

        if (challenge.IsBasic)
        {
            if (credential is null)
            {
                throw NotLoggedIn(registry);
            }

            return (BasicHeader(credential), false);
        }

        var realm = challenge.Realm;
        if (realm is null || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("http" or "https"))
        {
            throw new OciAuthException($"Registry {registry} sent a token challenge with an invalid realm; cannot authenticate.");
        }

        // Credentials go over TLS, or to a loopback token service, or where plain HTTP was asked for.
        if (credential is not null && realmUri.Scheme == "http" && !_options.PlainHttp && !ImageReference.IsLoopbackHost(realmUri.Authority))
        {
            throw new OciAuthException($"Registry {registry} asks for credentials to be sent over plain HTTP to {realmUri.Authority}; refused. Use --plain-http only if you trust this network.");
        }

        var query = new StringBuilder();
        if (challenge.Service is { } service)
        {
            query.Append("service=").Append(Uri.EscapeDataString(service));
        }

        var requested = scopes.Count > 0 ? scopes : (challenge.Scope is { } s ? [s] : []);
        foreach (var scope in requested)
        {
            query.Append(query.Length > 0 ? "&" : string.Empty).Append("scope=").Append(Uri.EscapeDataString(scope));
        }

        var tokenUri = new UriBuilder(realmUri) { Query = query.ToString() }.Uri;
        RegistryLog.RequestingToken(_logger, realmUri.GetLeftPart(UriPartial.Path), string.Join(' ', requested));
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (credential is not null)
        {
            tokenRequest.Headers.Authorization = BasicHeader(credential);
        }

        HttpResponseMessage tokenResponse;
        try
        {
            tokenResponse = await SendWatchedAsync(tokenRequest, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new OciNetworkException($"Cannot reach the token service of {registry} at {realmUri.Authority}: {ex.Message}", ex);
        }

        using (tokenResponse)
        {
            if (tokenResponse.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw credential is null
                    ? NotLoggedIn(registry)
                    : new OciAuthException($"The token service of {registry} rejected the credentials (HTTP {(int)tokenResponse.StatusCode}). Run 'wasme login {registry}' again.");
            }

            if (!tokenResponse.IsSuccessStatusCode)
            {
                throw new OciAuthException($"The token service of {registry} answered HTTP {(int)tokenResponse.StatusCode}; cannot authenticate.");
            }

            byte[] body;
            try
            {
                body = await ReadBoundedAsync(tokenResponse.Content, RegistryLimits.MaxConfigSize, "a token response", cancellationToken).ConfigureAwait(false);
            }
            catch (OciIntegrityException ex)
            {
                // No token is a megabyte: the token service is misbehaving, and the registry stays out of reach.
                throw new OciAuthException($"The token service of {registry} at {realmUri.Authority} sent more than {RegistryLimits.MaxConfigSize} bytes, which no token response is; cannot authenticate.", ex);
            }

            TokenResponse? token;
            try
            {
                token = JsonSerializer.Deserialize(body, OciJsonContext.Default.TokenResponse);
            }
            catch (JsonException ex)
            {
                throw new OciAuthException($"The token service of {registry} sent an answer that is not a token response ({ex.Message}); cannot authenticate.", ex);
            }

            var value = token?.Token ?? token?.AccessToken;
            if (string.IsNullOrEmpty(value))
            {
                throw new OciAuthException($"The token service of {registry} sent no token.");
            }

            if (!IsHeaderSafe(value))
            {
                // Sent back as a header, a line break would end it and start another (header injection).
                throw new OciAuthException($"The token service of {registry} sent a token with spaces or control characters, which no Authorization header may carry; refused. The token service at {realmUri.Authority} is misbehaving.");
            }

            return (new AuthenticationHeaderValue("Bearer", value), credential is null);
        }
    }

    /// <summary>Visible ASCII only: RFC 6750's token characters and then some, never whitespace or controls.</summary>
    private static bool IsHeaderSafe(string token) => token.All(c => c is > ' ' and < (char)0x7F);

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    private static OciAuthException NotLoggedIn(string registry) =>
        new($"Registry {registry} requires authentication and no credentials were found. Run 'wasme login {registry}' first.");

    private static string ScopeResource(string scope)
    {
        var parts = scope.Split(':');
        return parts.Length == 3 ? parts[1] : scope;
    }

    private static string ScopeActions(string scope)
    {
        var parts = scope.Split(':');
        return parts.Length == 3 ? $"{parts[2]} {parts[1]}" : scope;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>One attempt of a logical request: a fresh request message, credentials only for the registry's origin.</summary>
    private sealed class Attempt(RegistryTransport transport, Uri home, AuthenticationHeaderValue? authorization, Func<HttpRequestMessage> createRequest)
    {
        private object? _replay;

        public int Count { get; private set; }

        /// <summary>The method of the request last sent (what the retry policy judges by).</summary>
        public HttpMethod? Method { get; private set; }

        /// <summary>The URL of the request last sent (what a retry warning names).</summary>
        public Uri? Target { get; private set; }

        /// <summary>Makes the next <see cref="SendAsync(ResilienceContext)"/> answer with an outcome already had, instead of sending.</summary>
        public void Replay(object outcome) => _replay = outcome;

        public async ValueTask<HttpResponseMessage> SendAsync(ResilienceContext context)
        {
            if (Interlocked.Exchange(ref _replay, null) is { } replay)
            {
                context.Properties.Set(RegistryRetries.Method, Method!);
                context.Properties.Set(RegistryRetries.Target, Target);
                if (replay is ExceptionDispatchInfo failure)
                {
                    failure.Throw();
                }

                return (HttpResponseMessage)replay;
            }

            var request = createRequest();
            context.Properties.Set(RegistryRetries.Method, request.Method);
            context.Properties.Set(RegistryRetries.Target, request.RequestUri);
            return await SendAsync(request, context.CancellationToken).ConfigureAwait(false);
        }

        public Task<HttpResponseMessage> SendAsync(CancellationToken cancellationToken) => SendAsync(createRequest(), cancellationToken);

        private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Count++;
            Method = request.Method;
            Target = request.RequestUri;
            if (SameOrigin(request.RequestUri!, home))
            {
                request.Headers.Authorization = authorization;
            }

            return transport.SendFollowingRedirectsAsync(request, home, cancellationToken);
        }
    }
}
