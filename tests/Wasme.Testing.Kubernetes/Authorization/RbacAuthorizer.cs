using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Authentication;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Selectors;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>The verdict on one request, with the reason kube-apiserver reports (SubjectAccessReview status.reason, 403 suffix).</summary>
public sealed record AuthorizationDecision(bool Allowed, string Reason);

/// <summary>
/// Kubernetes' RBAC authorizer over the Roles, ClusterRoles and bindings stored in the server: ClusterRoleBindings
/// grant everywhere, RoleBindings in their namespace (to a Role there or a ClusterRole); a request is allowed when
/// any rule of any role bound to the user, or to one of its groups, allows it. Members of <c>system:masters</c> are
/// allowed before RBAC is asked, as kube-apiserver's privileged-group authorizer does.
/// </summary>
internal sealed class RbacAuthorizer
{
    private const string Group = "rbac.authorization.k8s.io";
    private readonly ResourceService _service;

    public RbacAuthorizer(ResourceService service)
    {
        _service = service;
    }

    public AuthorizationDecision Authorize(RequestAttributes request)
    {
        if (request.User.IsMaster)
        {
            return new AuthorizationDecision(true, "");
        }

        var errors = new List<string>();
        foreach (var binding in List("clusterrolebindings", null))
        {
            if (Check(request, binding, bindingNamespace: "", errors) is { } allowedBy)
            {
                return new AuthorizationDecision(true, $"RBAC: allowed by {allowedBy}");
            }
        }

        if (request.Namespace.Length > 0)
        {
            foreach (var binding in List("rolebindings", request.Namespace))
            {
                if (Check(request, binding, request.Namespace, errors) is { } allowedBy)
                {
                    return new AuthorizationDecision(true, $"RBAC: allowed by {allowedBy}");
                }
            }
        }

        return new AuthorizationDecision(false, errors.Count switch
        {
            0 => "",
            1 => $"RBAC: {errors[0]}",
            _ => $"RBAC: [{string.Join(", ", errors)}]",
        });
    }

    // Returns how the binding allowed the request ("ClusterRoleBinding "x" of ClusterRole "y" to Group "z""), or null.
    private string? Check(RequestAttributes request, JsonObject binding, string bindingNamespace, List<string> errors)
    {
        var subject = (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(s => AppliesTo(s, request.User, bindingNamespace));
        if (subject is null)
        {
            return null;
        }

        var roleKind = binding["roleRef"]?["kind"]?.AsText() ?? "";
        var roleName = binding["roleRef"]?["name"]?.AsText() ?? "";
        var role = roleKind switch
        {
            "ClusterRole" => Get("clusterroles", null, roleName),
            "Role" when bindingNamespace.Length > 0 => Get("roles", bindingNamespace, roleName),
            _ => null,
        };
        if (role is null)
        {
            errors.Add($"{roleKind.ToLowerInvariant()}.{Group} \"{roleName}\" not found");
            return null;
        }

        if (!PolicyRule.ParseAll(role).Any(r => r.Allows(request)))
        {
            return null;
        }

        var bindingName = bindingNamespace.Length > 0 ? $"RoleBinding \"{binding.Name()}/{bindingNamespace}\"" : $"ClusterRoleBinding \"{binding.Name()}\"";
        return $"{bindingName} of {roleKind} \"{roleName}\" to {Describe(subject, bindingNamespace)}";
    }

    private static bool AppliesTo(JsonObject subject, UserInfo user, string bindingNamespace)
    {
        var name = subject.GetString("name") ?? "";
        switch (subject.GetString("kind"))
        {
            case "User":
                return user.Name == name;
            case "Group":
                return user.Groups.Contains(name);
            case "ServiceAccount":
                // A RoleBinding may name a ServiceAccount of its own namespace without a namespace.
                var ns = subject.GetString("namespace") is { Length: > 0 } given ? given : bindingNamespace;
                return ns.Length > 0 && UserInfo.ServiceAccount(ns, name).Name == user.Name;
            default:
                return false;
        }
    }

    private static string Describe(JsonObject subject, string bindingNamespace)
    {
        var kind = subject.GetString("kind");
        var name = subject.GetString("name");
        if (kind == "ServiceAccount")
        {
            var ns = subject.GetString("namespace") is { Length: > 0 } given ? given : bindingNamespace;
            return $"{kind} \"{name}/{ns}\"";
        }

        return $"{kind} \"{name}\"";
    }

    private IEnumerable<JsonObject> List(string plural, string? ns) =>
        ((JsonArray)_service.List(Type(plural), ns, LabelSelector.Everything, FieldSelector.Everything)["items"]!).OfType<JsonObject>();

    private JsonObject? Get(string plural, string? ns, string name)
    {
        try
        {
            return _service.Get(Type(plural), ns, name);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    private ResourceType Type(string plural) => _service.Registry.Find(Group, "v1", plural)!;
}
