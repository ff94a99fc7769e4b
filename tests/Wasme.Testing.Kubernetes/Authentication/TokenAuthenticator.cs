using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Wasme.Testing.Kubernetes.Http;

namespace Wasme.Testing.Kubernetes.Authentication;

/// <summary>
/// Bearer tokens as kube-apiserver checks them: the admin token, and ServiceAccount tokens issued by the TokenRequest
/// API, which stop working when they expire or when their ServiceAccount is deleted (or recreated: the uid is bound).
/// No credentials at all is the anonymous user; an unknown token is 401, not anonymous.
/// </summary>
internal sealed class TokenAuthenticator
{
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Func<string, string, string?> _serviceAccountUid;

    // serviceAccountUid: the uid of a ServiceAccount now, or null when it does not exist.
    public TokenAuthenticator(string adminToken, TimeProvider time, Func<string, string, string?> serviceAccountUid)
    {
        AdminToken = adminToken;
        _time = time;
        _serviceAccountUid = serviceAccountUid;
    }

    public string AdminToken { get; }

    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public (string Token, DateTimeOffset Expires) Issue(string ns, string name, string uid, TimeSpan lifetime)
    {
        var token = NewToken();
        var expires = _time.GetUtcNow() + lifetime;
        _tokens[token] = new IssuedToken(ns, name, uid, expires);
        return (token, expires);
    }

    public UserInfo Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return UserInfo.Anonymous;
        }

        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            throw Unauthorized();
        }

        var token = header[Bearer.Length..].Trim();
        if (token == AdminToken)
        {
            return UserInfo.Admin;
        }

        if (_tokens.TryGetValue(token, out var issued)
            && issued.Expires > _time.GetUtcNow()
            && _serviceAccountUid(issued.Namespace, issued.Name) == issued.Uid)
        {
            return UserInfo.ServiceAccount(issued.Namespace, issued.Name);
        }

        throw Unauthorized();
    }

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    private sealed record IssuedToken(string Namespace, string Name, string Uid, DateTimeOffset Expires);
}
