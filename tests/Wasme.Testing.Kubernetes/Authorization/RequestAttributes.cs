using Microsoft.AspNetCore.Http;
using Wasme.Testing.Kubernetes.Authentication;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>What an authorizer judges: who, which verb, on which resource or path (kube-apiserver's authorizer.Attributes).</summary>
public sealed record RequestAttributes
{
    public required UserInfo User { get; init; }

    public required string Verb { get; init; }

    public bool IsResourceRequest { get; init; }

    /// <summary>The URL path, for non-resource requests (<c>/version</c>).</summary>
    public string Path { get; init; } = "";

    public string ApiGroup { get; init; } = "";

    public string ApiVersion { get; init; } = "";

    public string Resource { get; init; } = "";

    public string Subresource { get; init; } = "";

    public string Namespace { get; init; } = "";

    public string Name { get; init; } = "";

    /// <summary><c>resource</c> or <c>resource/subresource</c>, as RBAC rules name it.</summary>
    public string CombinedResource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";

    /// <summary>
    /// Reads a request as kube-apiserver's RequestInfoFactory does: paths of fewer than three segments, or outside
    /// /api and /apis, are non-resource requests; the HTTP method becomes a verb, GET without a name is list
    /// (watch with <c>watch=true</c>), DELETE without a name is deletecollection, and a list or watch with the field
    /// selector <c>metadata.name=X</c> names X.
    /// </summary>
    public static RequestAttributes From(UserInfo user, HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = request.Method.ToUpperInvariant();
        var nonResource = new RequestAttributes { User = user, Verb = method.ToLowerInvariant(), Path = path };
        if (parts.Length < 3 || parts[0] is not ("api" or "apis"))
        {
            return nonResource;
        }

        var group = "";
        var rest = parts.AsSpan(1);
        if (parts[0] == "apis")
        {
            if (rest.Length < 3)
            {
                return nonResource;
            }

            group = rest[0];
            rest = rest[1..];
        }

        var version = rest[0];
        rest = rest[1..];
        var ns = "";
        if (rest is ["namespaces", var namespaceName, ..])
        {
            ns = namespaceName;
            if (rest.Length > 2 && rest[2] is not ("status" or "finalize"))
            {
                rest = rest[2..];
            }
        }

        var resource = rest.Length > 0 ? rest[0] : "";
        var name = rest.Length > 1 ? rest[1] : "";
        var subresource = rest.Length > 2 ? rest[2] : "";
        var verb = method switch
        {
            "POST" => "create",
            "GET" or "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        };
        if (verb == "get" && name.Length == 0)
        {
            verb = bool.TryParse(request.Query["watch"].ToString(), out var watch) && watch || request.Query["watch"] == "1" ? "watch" : "list";
        }

        if (verb == "delete" && name.Length == 0)
        {
            verb = "deletecollection";
        }

        if (verb is "list" or "watch")
        {
            foreach (var term in request.Query["fieldSelector"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var pair = term.Split('=', 2);
                if (pair is ["metadata.name", var value])
                {
                    name = value.TrimStart('=');
                }
            }
        }

        return new RequestAttributes
        {
            User = user,
            Verb = verb,
            IsResourceRequest = true,
            Path = path,
            ApiGroup = group,
            ApiVersion = version,
            Resource = resource,
            Subresource = subresource,
            Namespace = ns,
            Name = name,
        };
    }
}
