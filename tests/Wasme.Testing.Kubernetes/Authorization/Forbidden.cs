using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>The 403 Status kube-apiserver writes for a denied request, worded as its responsewriters do (kubectl prints it unchanged).</summary>
internal static class Forbidden
{
    public static string Describe(RequestAttributes attributes)
    {
        var user = attributes.User.Name;
        if (!attributes.IsResourceRequest)
        {
            return $"User \"{user}\" cannot {attributes.Verb} path \"{attributes.Path}\"";
        }

        var scope = attributes.Namespace.Length > 0 ? $"in the namespace \"{attributes.Namespace}\"" : "at the cluster scope";
        return $"User \"{user}\" cannot {attributes.Verb} resource \"{attributes.CombinedResource}\" in API group \"{attributes.ApiGroup}\" {scope}";
    }

    public static ApiException Exception(RequestAttributes attributes, string reason)
    {
        var why = reason.Length == 0 ? Describe(attributes) : $"{Describe(attributes)}: {reason}";
        if (!attributes.IsResourceRequest)
        {
            return new ApiException(403, "Forbidden", $"forbidden: {why}", []);
        }

        var resource = attributes.ApiGroup.Length == 0 ? attributes.Resource : $"{attributes.Resource}.{attributes.ApiGroup}";
        var message = attributes.Name.Length == 0 ? $"{resource} is forbidden: {why}" : $"{resource} \"{attributes.Name}\" is forbidden: {why}";
        var details = new JsonObject();
        if (attributes.Name.Length > 0)
        {
            details["name"] = attributes.Name;
        }

        if (attributes.ApiGroup.Length > 0)
        {
            details["group"] = attributes.ApiGroup;
        }

        details["kind"] = attributes.Resource;
        return new ApiException(403, "Forbidden", message, details);
    }
}
