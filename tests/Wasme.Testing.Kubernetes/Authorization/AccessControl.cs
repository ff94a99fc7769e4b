using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Wasme.Testing.Kubernetes.Authentication;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>
/// What kube-apiserver does before a request reaches its handler: authenticate (401), impersonate (<c>kubectl --as</c>),
/// authorize with RBAC (403), and answer the two APIs that are about the caller rather than stored objects:
/// TokenRequest (<c>kubectl create token</c>) and SelfSubjectAccessReview (<c>kubectl auth can-i</c>).
/// </summary>
internal sealed class AccessControl
{
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan MinimumTokenLifetime = TimeSpan.FromMinutes(10);
    private readonly TokenAuthenticator _authenticator;
    private readonly RbacAuthorizer _authorizer;
    private readonly ResourceService _service;
    private readonly AuthorizationLog _log;
    private readonly TimeProvider _time;

    public AccessControl(TokenAuthenticator authenticator, RbacAuthorizer authorizer, ResourceService service, AuthorizationLog log, TimeProvider time)
    {
        _authenticator = authenticator;
        _authorizer = authorizer;
        _service = service;
        _log = log;
        _time = time;
    }

    /// <summary>Throws 401 or 403 as an <see cref="ApiException"/>; returns true when it answered the request itself.</summary>
    public async Task<bool> HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var user = Impersonate(_authenticator.Authenticate(context.Request), context.Request.Headers);
        var request = RequestAttributes.From(user, context.Request);
        Require(request);

        switch (request)
        {
            case { IsResourceRequest: true, Verb: "create", ApiGroup: "", Resource: "serviceaccounts", Subresource: "token" }:
                await WriteAsync(context, 201, IssueToken(request.Namespace, request.Name, await ReadTokenRequestAsync(context, cancellationToken)), cancellationToken);
                return true;
            case { IsResourceRequest: true, Verb: "create", ApiGroup: "authorization.k8s.io", Resource: "selfsubjectaccessreviews", Name: "" }:
                await WriteAsync(context, 201, Review(user, await ReadReviewAsync(context, cancellationToken)), cancellationToken);
                return true;
            default:
                return false;
        }
    }

    /// <summary>A token for a ServiceAccount without going through HTTP (what an admin's <c>kubectl create token</c> returns).</summary>
    public string IssueToken(string ns, string name, TimeSpan lifetime)
    {
        var account = ServiceAccount(ns, name);
        return _authenticator.Issue(ns, name, account.Uid(), lifetime).Token;
    }

    public AuthorizationDecision Authorize(RequestAttributes request) => _authorizer.Authorize(request);

    private void Require(RequestAttributes request)
    {
        var decision = _authorizer.Authorize(request);
        _log.Add(AuthorizationRecord.Of(request, decision.Allowed));
        if (!decision.Allowed)
        {
            throw Forbidden.Exception(request, decision.Reason);
        }
    }

    // Impersonation is itself authorized: the caller needs "impersonate" on the user (or ServiceAccount) and each group.
    private UserInfo Impersonate(UserInfo caller, IHeaderDictionary headers)
    {
        var userName = headers["Impersonate-User"].ToString();
        var groups = headers["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        if (userName.Length == 0)
        {
            return groups.Count == 0 ? caller : throw new ApiException(500, "InternalError", "Internal error occurred: requested [{Impersonate-Group}] without impersonating a user");
        }

        var asUser = new UserInfo(userName, []);
        UserInfo impersonated;
        if (asUser.AsServiceAccount() is var (ns, name))
        {
            Require(new RequestAttributes { User = caller, Verb = "impersonate", IsResourceRequest = true, Resource = "serviceaccounts", Namespace = ns, Name = name });
            impersonated = UserInfo.ServiceAccount(ns, name);
        }
        else
        {
            Require(new RequestAttributes { User = caller, Verb = "impersonate", IsResourceRequest = true, Resource = "users", Name = userName });
            impersonated = asUser;
        }

        foreach (var group in groups)
        {
            Require(new RequestAttributes { User = caller, Verb = "impersonate", IsResourceRequest = true, Resource = "groups", Name = group });
        }

        var all = impersonated.Groups.Concat(groups).ToList();
        if (userName != UserInfo.Anonymous.Name && !all.Contains(UserInfo.AuthenticatedGroup))
        {
            all.Add(UserInfo.AuthenticatedGroup);
        }

        return impersonated with { Groups = all.Distinct().ToList() };
    }

    private JsonObject IssueToken(string ns, string name, JsonObject body)
    {
        var account = ServiceAccount(ns, name);
        var lifetime = DefaultTokenLifetime;
        if (body["spec"]?["expirationSeconds"] is JsonValue seconds && seconds.TryGetValue<long>(out var value))
        {
            lifetime = TimeSpan.FromSeconds(value);
            if (lifetime < MinimumTokenLifetime)
            {
                throw new ApiException(422, "Invalid",
                    $"TokenRequest.authentication.k8s.io \"{name}\" is invalid: spec.expirationSeconds: Invalid value: {value}: may not specify a duration less than 10 minutes",
                    new JsonObject { ["name"] = name, ["group"] = "authentication.k8s.io", ["kind"] = "TokenRequest" });
            }
        }

        var (token, expires) = _authenticator.Issue(ns, name, account.Uid(), lifetime);
        return new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["creationTimestamp"] = Timestamp(_time.GetUtcNow()),
            },
            ["spec"] = new JsonObject
            {
                ["audiences"] = body["spec"]?["audiences"]?.DeepClone() ?? new JsonArray("https://kubernetes.default.svc.cluster.local"),
                ["expirationSeconds"] = (long)lifetime.TotalSeconds,
                ["boundObjectRef"] = null,
            },
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = Timestamp(expires),
            },
        };
    }

    private JsonObject ServiceAccount(string ns, string name) =>
        _service.Get(_service.Registry.Find("", "v1", "serviceaccounts")!, ns, name);

    private JsonObject Review(UserInfo user, JsonObject body)
    {
        var spec = body["spec"] as JsonObject ?? [];
        RequestAttributes asked;
        if (spec["resourceAttributes"] is JsonObject resource)
        {
            asked = new RequestAttributes
            {
                User = user,
                IsResourceRequest = true,
                Verb = resource.GetString("verb") ?? "",
                ApiGroup = resource.GetString("group") ?? "",
                ApiVersion = resource.GetString("version") ?? "",
                Resource = resource.GetString("resource") ?? "",
                Subresource = resource.GetString("subresource") ?? "",
                Namespace = resource.GetString("namespace") ?? "",
                Name = resource.GetString("name") ?? "",
            };
        }
        else if (spec["nonResourceAttributes"] is JsonObject nonResource)
        {
            asked = new RequestAttributes { User = user, Verb = nonResource.GetString("verb") ?? "", Path = nonResource.GetString("path") ?? "" };
        }
        else
        {
            throw new ApiException(422, "Invalid",
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
                new JsonObject { ["group"] = "authorization.k8s.io", ["kind"] = "SelfSubjectAccessReview" });
        }

        var decision = _authorizer.Authorize(asked);
        var review = body.CloneObject();
        review["apiVersion"] = "authorization.k8s.io/v1";
        review["kind"] = "SelfSubjectAccessReview";
        review["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        review["status"] = new JsonObject { ["allowed"] = decision.Allowed, ["reason"] = decision.Reason.Length > 0 ? decision.Reason : null };
        return review;
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // TokenRequest: spec(2) { audiences(1), expirationSeconds(4) }.
    private static async Task<JsonObject> ReadTokenRequestAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!KubernetesProtobuf.IsProtobuf(context.Request.ContentType))
        {
            return await ReadAsync(context, cancellationToken);
        }

        var body = await ReadBytesAsync(context, cancellationToken);
        return Decode(() =>
        {
            var spec = KubernetesProtobuf.Field(KubernetesProtobuf.Unwrap(body), 2);
            var result = new JsonObject();
            if (KubernetesProtobuf.Strings(spec, 1) is { Count: > 0 } audiences)
            {
                result["audiences"] = new JsonArray(audiences.Select(a => (JsonNode)JsonValue.Create(a)).ToArray());
            }

            if (KubernetesProtobuf.Varint(spec, 4) is { } seconds)
            {
                result["expirationSeconds"] = (long)seconds;
            }

            return new JsonObject { ["spec"] = result };
        });
    }

    // SelfSubjectAccessReview: spec(2) { resourceAttributes(1) { namespace 1, verb 2, group 3, version 4, resource 5,
    // subresource 6, name 7 }, nonResourceAttributes(2) { path 1, verb 2 } }.
    private static async Task<JsonObject> ReadReviewAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!KubernetesProtobuf.IsProtobuf(context.Request.ContentType))
        {
            return await ReadAsync(context, cancellationToken);
        }

        var body = await ReadBytesAsync(context, cancellationToken);
        return Decode(() =>
        {
            var spec = KubernetesProtobuf.Field(KubernetesProtobuf.Unwrap(body), 2);
            var resource = KubernetesProtobuf.Field(spec, 1);
            var nonResource = KubernetesProtobuf.Field(spec, 2);
            var result = new JsonObject();
            if (!resource.IsEmpty)
            {
                var attributes = new JsonObject();
                string[] names = ["namespace", "verb", "group", "version", "resource", "subresource", "name"];
                for (var i = 0; i < names.Length; i++)
                {
                    attributes[names[i]] = KubernetesProtobuf.String(resource, i + 1);
                }

                result["resourceAttributes"] = attributes;
            }
            else if (!nonResource.IsEmpty)
            {
                result["nonResourceAttributes"] = new JsonObject
                {
                    ["path"] = KubernetesProtobuf.String(nonResource, 1),
                    ["verb"] = KubernetesProtobuf.String(nonResource, 2),
                };
            }

            return new JsonObject { ["spec"] = result };
        });
    }

    private static JsonObject Decode(Func<JsonObject> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException or IndexOutOfRangeException)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }
    }

    private static async Task<byte[]> ReadBytesAsync(HttpContext context, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.Length > MaxBodyBytes
            ? throw new ApiException(413, "RequestEntityTooLarge", $"the request body exceeds {MaxBodyBytes} bytes")
            : buffer.ToArray();
    }

    private static async Task<JsonObject> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var buffer = new char[MaxBodyBytes + 1];
        var length = await reader.ReadBlockAsync(buffer, cancellationToken);
        if (length > MaxBodyBytes)
        {
            throw new ApiException(413, "RequestEntityTooLarge", $"the request body exceeds {MaxBodyBytes} bytes");
        }

        var text = new string(buffer, 0, length);
        try
        {
            return text.Trim().Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject body, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), cancellationToken);
    }
}
