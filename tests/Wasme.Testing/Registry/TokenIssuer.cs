using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wasme.Testing.Registry;

/// <summary>
/// A small Docker token service for docker-registry's <c>auth.token</c> mode: checks Basic
/// credentials and answers an RS256 JWT granting the requested scopes. Its self-signed certificate
/// is the registry's <c>rootcertbundle</c>; the JWT's <c>kid</c> is the libtrust key id of that key.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    public const string Issuer = "wasme-test-issuer";

    private readonly WebApplication _app;
    private readonly RSA _key;
    private readonly string _service;
    private readonly string _user;
    private readonly string _password;
    private readonly string _keyId;

    private TokenIssuer(WebApplication app, RSA key, string service, string user, string password, string certificatePem)
    {
        _app = app;
        _key = key;
        _service = service;
        _user = user;
        _password = password;
        CertificatePem = certificatePem;
        _keyId = LibtrustKeyId(key.ExportSubjectPublicKeyInfo());
    }

    public string CertificatePem { get; }

    public string Realm { get; private set; } = string.Empty;

    /// <summary>Every token request: (had credentials, scopes asked).</summary>
    public ConcurrentQueue<(bool Authenticated, string[] Scopes)> Requests { get; } = new();

    public static async Task<TokenIssuer> StartAsync(string service, string user, string password, CancellationToken cancellationToken)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=wasme-test-token-issuer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var pem = certificate.ExportCertificatePem();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var issuer = new TokenIssuer(app, key, service, user, password, pem);
        app.MapGet("/token", issuer.HandleAsync);
        await app.StartAsync(cancellationToken);
        issuer.Realm = app.Urls.First().TrimEnd('/') + "/token";
        return issuer;
    }

    /// <summary>
    /// Answers a request without credentials with a token that grants nothing, as public registries' token services do
    /// (they grant pull of public repositories); off, such a request is refused with 401.
    /// </summary>
    public bool GrantsAnonymousTokens { get; set; }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var scopes = context.Request.Query["scope"].Where(s => s is not null).SelectMany(s => s!.Split(' ')).ToArray();
        var authenticated = TryBasic(context.Request, out var user, out var password) && user == _user && password == _password;
        Requests.Enqueue((authenticated, scopes));
        var anonymous = GrantsAnonymousTokens && context.Request.Headers.Authorization.Count == 0;
        if (anonymous)
        {
            // As Docker Hub and ghcr.io: a token for no one, granting nothing on a private repository.
            user = string.Empty;
            scopes = [];
        }
        else if (!authenticated)
        {
            // Like real token services: wrong or missing credentials are refused outright.
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var access = scopes.Select(scope => scope.Split(':')).Where(p => p.Length == 3)
            .Select(p => new Dictionary<string, object> { ["type"] = p[0], ["name"] = p[1], ["actions"] = p[2].Split(',') })
            .ToArray();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = user!,
            ["aud"] = _service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var header = new Dictionary<string, object> { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = _keyId };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var token = signingInput + "." + Base64Url(signature);
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["token"] = token, ["expires_in"] = 300 });
    }

    private static bool TryBasic(HttpRequest request, out string? user, out string? password)
    {
        user = password = null;
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        user = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }

    /// <summary>libtrust's key id: base32 of the first 240 bits of sha256(SPKI DER), in 12 groups of 4.</summary>
    private static string LibtrustKeyId(byte[] subjectPublicKeyInfo)
    {
        var hash = SHA256.HashData(subjectPublicKeyInfo).AsSpan(0, 30);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = new StringBuilder();
        int buffer = 0, count = 0;
        foreach (var b in hash)
        {
            buffer = (buffer << 8) | b;
            count += 8;
            while (count >= 5)
            {
                bits.Append(alphabet[(buffer >> (count - 5)) & 31]);
                count -= 5;
            }
        }

        var encoded = bits.ToString();
        return string.Join(':', Enumerable.Range(0, encoded.Length / 4).Select(i => encoded.Substring(i * 4, 4)));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
