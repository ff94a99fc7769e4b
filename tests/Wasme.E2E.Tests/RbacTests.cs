using k8s;
using Wasme.Testing.Kubernetes.Authorization;

namespace Wasme.E2E.Tests;

/// <summary>
/// The RBAC shipped in deploy/ is exactly what the operator and the cache need: the end-to-end flow runs them with
/// their ServiceAccounts' tokens and nothing they do is refused, every permission granted was used, and what lies
/// outside it is refused with kube-apiserver's message, as <c>kubectl auth can-i</c> predicts.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class RbacTests(ClusterEnvironment cluster)
{
    private static readonly string[] Identities = [ClusterEnvironment.OperatorUser, ClusterEnvironment.CacheUser];

    // Granted for a path the flow cannot take here; each says why the grant stays.
    private static readonly Dictionary<string, string> NotExercised = new(StringComparer.Ordinal)
    {
        [$"{ClusterEnvironment.OperatorUser} update wasme.io filterdeployments/finalizers"] =
            "needed only where the OwnerReferencesPermissionEnforcement admission plugin is on (not modelled by the test server)",
        [$"{ClusterEnvironment.OperatorUser} get networking.istio.io envoyfilters"] =
            "read only when create finds the object already there (a lost cache or a second writer)",
        [$"{ClusterEnvironment.OperatorUser} get extensions.istio.io wasmplugins"] =
            "read only when create finds the object already there (a lost cache or a second writer)",
    };

    [Fact]
    public async Task Operator_and_cache_are_never_refused_and_use_every_permission_deploy_grants_them()
    {
        foreach (var (delivery, resource) in new[] { ("Remote", "envoyfilters"), ("HostPath", "envoyfilters"), ("WasmPlugin", "wasmplugins") })
        {
            await cluster.Deliveries.RunAsync(delivery, () => FilterDeploymentEndToEndTests.DeliverAsync(cluster, delivery, resource));
        }

        await cluster.Deliveries.RunAsync("HostPathKinds", () => HostPathGateEndToEndTests.DeliverToKindsAsync(cluster));

        var decisions = cluster.Kube.Authorizations.Snapshot().Where(d => Identities.Contains(d.User)).ToList();
        Assert.Contains(decisions, d => d.User == ClusterEnvironment.OperatorUser);
        Assert.Contains(decisions, d => d.User == ClusterEnvironment.CacheUser);
        Assert.Empty(decisions.Where(d => !d.Allowed).Select(d => $"{d.User} {d.Verb} {d.ApiGroup}/{d.Resource} {d.Namespace}/{d.Name} {d.Path}").Distinct());

        var granted = await GrantedAsync();
        Assert.NotEmpty(granted);
        var unused = granted
            .Where(p => !decisions.Any(p.UsedBy))
            .Select(p => p.ToString())
            .Where(p => !NotExercised.ContainsKey(p.Split(" [", 2)[0]))
            .ToList();
        Assert.True(unused.Count == 0, "deploy/ grants permissions the operator and cache never used:\n" + string.Join('\n', unused));
    }

    [Fact]
    public async Task A_call_outside_the_service_accounts_rbac_is_refused_as_kubectl_auth_can_i_predicts()
    {
        var create = await cluster.KubectlAsAsync(cluster.OperatorKubeconfig, "create", "configmap", "x", "-n", "default");
        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains(
            "configmaps is forbidden: User \"system:serviceaccount:wasme:wasme-operator\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\"",
            create.Error, StringComparison.Ordinal);
        var list = await cluster.KubectlAsAsync(cluster.CacheKubeconfig, "get", "secrets", "-n", "wasme");
        Assert.Contains(
            "Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:wasme:wasme-cache\" cannot list resource \"secrets\" in API group \"\" in the namespace \"wasme\"",
            list.Error, StringComparison.Ordinal);
        var cacheCreatesFilterDeployments = await cluster.KubectlAsAsync(cluster.CacheKubeconfig, "delete", "filterdeployment", "x", "-n", "default");
        Assert.Contains(
            "filterdeployments.wasme.io \"x\" is forbidden: User \"system:serviceaccount:wasme:wasme-cache\" cannot delete resource \"filterdeployments\" in API group \"wasme.io\" in the namespace \"default\"",
            cacheCreatesFilterDeployments.Error, StringComparison.Ordinal);

        Assert.Equal("no", await CanIAsync(cluster.OperatorKubeconfig, "create", "configmaps", "-n", "default"));
        Assert.Equal("no", await CanIAsync(cluster.CacheKubeconfig, "list", "secrets", "-n", "wasme"));
        Assert.Equal("no", await CanIAsync(cluster.CacheKubeconfig, "delete", "filterdeployments.wasme.io", "-n", "default"));
        Assert.Equal("no", await CanIAsync(cluster.OperatorKubeconfig, "patch", "deployments.apps", "-n", "default"));
        Assert.Equal("no", await CanIAsync(cluster.OperatorKubeconfig, "get", "secrets", "-n", "default"));
        Assert.Equal("no", await CanIAsync(cluster.OperatorKubeconfig, "update", "leases.coordination.k8s.io/someone-else", "-n", "wasme"));
        Assert.Equal("yes", await CanIAsync(cluster.OperatorKubeconfig, "update", "leases.coordination.k8s.io/wasme-operator", "-n", "wasme"));
        Assert.Equal("yes", await CanIAsync(cluster.OperatorKubeconfig, "watch", "filterdeployments.wasme.io", "--all-namespaces"));
        Assert.Equal("yes", await CanIAsync(cluster.CacheKubeconfig, "list", "filterdeployments.wasme.io", "--all-namespaces"));
    }

    private async Task<string> CanIAsync(string kubeconfig, params string[] question)
    {
        var (code, output, error) = await cluster.KubectlAsAsync(kubeconfig, ["auth", "can-i", .. question]);
        Assert.True(code is 0 or 1, error);
        return output.Trim();
    }

    // Every (identity, verb, group, resource) deploy/'s roles give the operator or the cache, through whichever
    // bindings exist now: deploy/'s own, and the namespace RoleBindings the flow created as docs/install.md says.
    private async Task<List<Permission>> GrantedAsync()
    {
        using var admin = cluster.Kube.CreateClient();
        var installed = cluster.InstalledManifests
            .Select(line => line.Split(' ')[0])
            .Where(n => n.StartsWith("clusterrole.", StringComparison.Ordinal) || n.StartsWith("role.", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var clusterRoles = (await admin.RbacAuthorizationV1.ListClusterRoleAsync()).Items.Where(r => installed.Contains($"clusterrole.rbac.authorization.k8s.io/{r.Metadata.Name}")).ToList();
        var roles = (await admin.RbacAuthorizationV1.ListRoleForAllNamespacesAsync()).Items.Where(r => installed.Contains($"role.rbac.authorization.k8s.io/{r.Metadata.Name}")).ToList();
        Assert.Equal(installed.Count, clusterRoles.Count + roles.Count);

        var bindings = (await admin.RbacAuthorizationV1.ListClusterRoleBindingAsync()).Items.Select(b => (Namespace: "", b.RoleRef, b.Subjects))
            .Concat((await admin.RbacAuthorizationV1.ListRoleBindingForAllNamespacesAsync()).Items.Select(b => (Namespace: b.Metadata.NamespaceProperty, b.RoleRef, b.Subjects)));
        var permissions = new List<Permission>();
        foreach (var (ns, roleRef, subjects) in bindings)
        {
            var rules = roleRef.Kind == "ClusterRole"
                ? clusterRoles.FirstOrDefault(r => r.Metadata.Name == roleRef.Name)?.Rules
                : roles.FirstOrDefault(r => r.Metadata.Name == roleRef.Name && r.Metadata.NamespaceProperty == ns)?.Rules;
            foreach (var user in (subjects ?? []).Where(s => s.Kind == "ServiceAccount").Select(s => $"system:serviceaccount:{s.NamespaceProperty ?? ns}:{s.Name}").Where(Identities.Contains))
            {
                foreach (var rule in rules ?? [])
                {
                    permissions.AddRange(
                        from verb in rule.Verbs
                        from resource in rule.Resources ?? []
                        select new Permission(user, verb, rule.ApiGroups ?? [], resource, ns, rule.ResourceNames ?? []));
                }
            }
        }

        return permissions;
    }

    private sealed record Permission(string User, string Verb, IList<string> ApiGroups, string Resource, string Namespace, IList<string> ResourceNames)
    {
        public bool UsedBy(AuthorizationRecord decision) =>
            decision.User == User && decision.Allowed && decision.IsResourceRequest && decision.Verb == Verb && ApiGroups.Contains(decision.ApiGroup)
            && decision.Resource == Resource && (Namespace.Length == 0 || decision.Namespace == Namespace)
            && (ResourceNames.Count == 0 || ResourceNames.Contains(decision.Name));

        public override string ToString() =>
            $"{User} {Verb} {string.Join(',', ApiGroups)} {Resource} [{(Namespace.Length > 0 ? $"namespace {Namespace}" : "cluster-wide")}{(ResourceNames.Count > 0 ? $", names {string.Join(',', ResourceNames)}" : "")}]";
    }
}
