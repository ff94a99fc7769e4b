using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>
/// The default ClusterRoles and ClusterRoleBindings kube-apiserver creates at start that matter to a client:
/// cluster-admin for <c>system:masters</c>, discovery and self-access-reviews for every authenticated user,
/// and health and version for everyone (kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy).
/// </summary>
internal static class BootstrapPolicy
{
    public static IEnumerable<JsonObject> Objects()
    {
        yield return ClusterRole("cluster-admin",
            Rule(["*"], apiGroups: ["*"], resources: ["*"]),
            Rule(["*"], nonResourceUrls: ["*"]));
        yield return ClusterRole("system:discovery",
            Rule(["get"], nonResourceUrls: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]));
        yield return ClusterRole("system:basic-user",
            Rule(["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Rule(["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]));
        yield return ClusterRole("system:public-info-viewer",
            Rule(["get"], nonResourceUrls: ["/healthz", "/livez", "/readyz", "/version", "/version/"]));

        yield return ClusterRoleBinding("cluster-admin", "system:masters");
        yield return ClusterRoleBinding("system:discovery", "system:authenticated");
        yield return ClusterRoleBinding("system:basic-user", "system:authenticated");
        yield return ClusterRoleBinding("system:public-info-viewer", "system:authenticated", "system:unauthenticated");
    }

    private static JsonObject Metadata(string name) => new()
    {
        ["name"] = name,
        ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
        ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
    };

    private static JsonObject ClusterRole(string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = Metadata(name),
        ["rules"] = new JsonArray(rules),
    };

    private static JsonObject ClusterRoleBinding(string name, params string[] groups) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = Metadata(name),
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = name },
        ["subjects"] = new JsonArray(groups.Select(g => (JsonNode)new JsonObject
        {
            ["apiGroup"] = "rbac.authorization.k8s.io",
            ["kind"] = "Group",
            ["name"] = g,
        }).ToArray()),
    };

    private static JsonObject Rule(string[] verbs, string[]? apiGroups = null, string[]? resources = null, string[]? nonResourceUrls = null)
    {
        static JsonArray Strings(string[] values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        var rule = new JsonObject { ["verbs"] = Strings(verbs) };
        if (apiGroups is not null)
        {
            rule["apiGroups"] = Strings(apiGroups);
        }

        if (resources is not null)
        {
            rule["resources"] = Strings(resources);
        }

        if (nonResourceUrls is not null)
        {
            rule["nonResourceURLs"] = Strings(nonResourceUrls);
        }

        return rule;
    }
}
