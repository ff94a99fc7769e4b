using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Oci.Registry;

/// <summary>
/// Sends one logical registry request: retries with backoff on 5xx and connection failures, follows
/// redirects by hand (Authorization is kept only while the host stays the same), and answers
/// 401 challenges with Basic or a Bearer token for the request's scope.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private const int MaxRedirects = 5;
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly ICredentialProvider _credentials;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<string, AuthenticationHeaderValue> _authorizations = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public RegistryTransport(RegistryClientOptions options, ICredentialProvider credentials, ILogger logger, TimeProvider timeProvider, HttpMessageHandler? handler)
    {
        _options = options;
        _credentials = credentials;
        _logger = logger;
        _timeProvider = timeProvider;
        handler ??= CreateHandler(options);
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = options.RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
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
        var scopeKey = registry + "|" + string.Join(' ', scopes);
        var authenticated = false;
        for (var attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            var request = createRequest();
            try
            {
                AuthenticationHeaderValue? authorization;
                lock (_gate)
                {
                    authorization = _authorizations.GetValueOrDefault(scopeKey) ?? _authorizations.GetValueOrDefault(registry + "|basic");
                }

                request.Headers.Authorization = authorization;
                response = await SendFollowingRedirectsAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (attempt < _options.MaxRetries)
            {
                await BackoffAsync(request, ex.Message, attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (HttpRequestException ex)
            {
                throw new OciNetworkException($"Cannot reach registry {registry}: {ex.Message}. Check the address, that it is running, and --plain-http/--insecure.", ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OciNetworkException($"Registry {registry} did not answer within {_options.RequestTimeout.TotalSeconds:0} s.", ex);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && !authenticated)
            {
                authenticated = true;
                var authorization = await AuthorizeAsync(registry, scopes, response, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                lock (_gate)
                {
                    _authorizations[authorization.Scheme == "Basic" ? registry + "|basic" : scopeKey] = authorization;
                }

                attempt--;
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Dispose();
                throw new OciAuthException($"Registry {registry} rejected the credentials. Run 'wasme login {registry}' with a valid user and password.");
            }

            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                var detail = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                throw new OciAuthException($"Registry {registry} denied access{detail}. Check that your user may {string.Join(" and ", scopes.Select(ScopeActions))}.");
            }

            if (IsRetryable(response.StatusCode) && attempt < _options.MaxRetries)
            {
                var status = (int)response.StatusCode;
                response.Dispose();
                await BackoffAsync(request, $"HTTP {status}", attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (IsRetryable(response.StatusCode))
            {
                var detail = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                response.Dispose();
                throw new OciNetworkException($"Registry {registry} kept failing with HTTP {status}{detail} after {_options.MaxRetries} retries.");
            }

            return response;
        }
    }

    /// <summary>Reads a bounded error body and formats it as <c>: CODE message</c> for messages.</summary>
    public static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false);
            var errors = JsonSerializer.Deserialize(bytes, OciJsonContext.Default.RegistryErrors);
            var first = errors?.Errors is { Count: > 0 } list ? list[0] : null;
            return first is null ? string.Empty : $": {first.Code} {first.Message}".TrimEnd();
        }
        catch (Exception ex) when (ex is JsonException or OciException or HttpRequestException or IOException)
        {
            return string.Empty;
        }
    }

    public static async Task<byte[]> ReadBoundedAsync(HttpContent content, long max, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } length && length > max)
        {
            throw new OciIntegrityException($"The registry sent {length} bytes where at most {max} are allowed; refused.");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
            {
                throw new OciIntegrityException($"The registry sent more than the allowed {max} bytes; refused.");
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

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var original = request.RequestUri!;
        var current = request;
        for (var redirects = 0; ; redirects++)
        {
            var response = await _http.SendAsync(current, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            RegistryLog.Response(_logger, current.Method.Method, current.RequestUri!.GetLeftPart(UriPartial.Path), (int)response.StatusCode);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is null)
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

            // Only safe methods carry no body; a redirected upload would need its body again.
            var next = new HttpRequestMessage(current.Method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get, target);
            foreach (var accept in current.Headers.Accept)
            {
                next.Headers.Accept.Add(accept);
            }

            // Never forward credentials to another host (the blob may live on a CDN or an attacker's server).
            var sameHost = Uri.Compare(target, original, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
            if (sameHost)
            {
                next.Headers.Authorization = current.Headers.Authorization;
            }

            RegistryLog.Redirect(_logger, current.RequestUri!.GetLeftPart(UriPartial.Authority), target.GetLeftPart(UriPartial.Authority), sameHost ? "kept" : "dropped");
            current = next;
        }
    }

    private async Task<AuthenticationHeaderValue> AuthorizeAsync(string registry, IReadOnlyList<string> scopes, HttpResponseMessage response, CancellationToken cancellationToken)
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

            return BasicHeader(credential);
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
            tokenResponse = await _http.SendAsync(tokenRequest, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
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

            var body = await ReadBoundedAsync(tokenResponse.Content, RegistryLimits.MaxConfigSize, cancellationToken).ConfigureAwait(false);
            TokenResponse? token;
            try
            {
                token = JsonSerializer.Deserialize(body, OciJsonContext.Default.TokenResponse);
            }
            catch (JsonException ex)
            {
                throw new OciAuthException($"The token service of {registry} sent an answer that is not JSON.", ex);
            }

            var value = token?.Token ?? token?.AccessToken;
            if (string.IsNullOrEmpty(value))
            {
                throw new OciAuthException($"The token service of {registry} sent no token.");
            }

            return new AuthenticationHeaderValue("Bearer", value);
        }
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    private static OciAuthException NotLoggedIn(string registry) =>
        new($"Registry {registry} requires authentication and no credentials were found. Run 'wasme login {registry}' first.");

    private static string ScopeActions(string scope)
    {
        var parts = scope.Split(':');
        return parts.Length == 3 ? $"{parts[2]} {parts[1]}" : scope;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool IsRetryable(HttpStatusCode status) =>
        (int)status >= 500 && status is not (HttpStatusCode.NotImplemented or HttpStatusCode.HttpVersionNotSupported or HttpStatusCode.NetworkAuthenticationRequired);

    private Task BackoffAsync(HttpRequestMessage request, string reason, int attempt, CancellationToken cancellationToken)
    {
        var (method, target) = (request.Method.Method, request.RequestUri!.GetLeftPart(UriPartial.Path));
        request.Dispose();
        return BackoffAsync(method, target, reason, attempt, cancellationToken);
    }

    /// <summary>Waits before retry number <paramref name="attempt"/> + 1: the base delay, doubled per attempt.</summary>
    public async Task BackoffAsync(string method, string target, string reason, int attempt, CancellationToken cancellationToken)
    {
        var delay = _options.RetryBaseDelay * Math.Pow(2, attempt);
        RegistryLog.Retrying(_logger, method, target, reason, attempt + 1, _options.MaxRetries, delay.TotalMilliseconds);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }
}
