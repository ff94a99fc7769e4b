using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Wasme.Testing.Kubernetes.Tests.Authorization;

/// <summary>Authentication and RBAC as kube-apiserver judges them, seen by a client acting as a ServiceAccount.</summary>
public sealed class RbacTests : IAsyncLifetime
{
    private const string Account = "system:serviceaccount:team:robot";
    private KubernetesTestServer _server = null!;
    private IKubernetes _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { InitialNamespaces = ["default", "team", "other"] });
        _admin = _server.CreateClient();
        await _admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "team");
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ServiceAccount_without_bindings_is_forbidden_with_kube_apiservers_message()
    {
        using var robot = _server.CreateServiceAccountClient("team", "robot");

        var clusterList = await Forbidden(() => robot.AppsV1.ListDeploymentForAllNamespacesAsync());
        Assert.Equal($"deployments.apps is forbidden: User \"{Account}\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope", clusterList.Message);
        var namespaced = await Forbidden(() => robot.CoreV1.ListNamespacedConfigMapAsync("team"));
        Assert.Equal($"configmaps is forbidden: User \"{Account}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"team\"", namespaced.Message);
        var named = await Forbidden(() => robot.CoreV1.ReadNamespacedSecretAsync("token", "team"));
        Assert.Equal($"secrets \"token\" is forbidden: User \"{Account}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"team\"", named.Message);
        Assert.Equal("Forbidden", named.Reason);
        Assert.Equal("token", named.Details.Name);
        Assert.Equal("secrets", named.Details.Kind);
        var status = await Forbidden(() => robot.AppsV1.PatchNamespacedDeploymentStatusAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "web", "team"));
        Assert.Equal($"deployments.apps \"web\" is forbidden: User \"{Account}\" cannot patch resource \"deployments/status\" in API group \"apps\" in the namespace \"team\"", status.Message);
        Assert.Equal("deployments", status.Details.Kind);
    }

    [Fact]
    public async Task RoleBinding_grants_only_its_namespace_and_the_rules_verbs()
    {
        ApplyRole("team", "reader", """{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}""");
        Bind("team", "Role", "reader", """{"kind": "ServiceAccount", "name": "robot"}""");
        await _admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "team");
        using var robot = _server.CreateServiceAccountClient("team", "robot");

        Assert.Single((await robot.CoreV1.ListNamespacedConfigMapAsync("team")).Items);
        Assert.Equal("c", (await robot.CoreV1.ReadNamespacedConfigMapAsync("c", "team")).Metadata.Name);
        await Forbidden(() => robot.CoreV1.ListNamespacedConfigMapAsync("other"));
        await Forbidden(() => robot.CoreV1.DeleteNamespacedConfigMapAsync("c", "team"));
        var watch = await Forbidden(() => robot.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync("team", watch: true));
        Assert.Contains("cannot watch resource \"configmaps\"", watch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResourceNames_restrict_get_and_update_but_never_match_create_or_an_unnamed_list()
    {
        ApplyRole("team", "lease", """{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "create", "update"], "resourceNames": ["mine"]}""");
        Bind("team", "Role", "lease", """{"kind": "ServiceAccount", "name": "robot", "namespace": "team"}""");
        await _admin.CoordinationV1.CreateNamespacedLeaseAsync(Lease("mine"), "team");
        await _admin.CoordinationV1.CreateNamespacedLeaseAsync(Lease("theirs"), "team");
        using var robot = _server.CreateServiceAccountClient("team", "robot");

        var mine = await robot.CoordinationV1.ReadNamespacedLeaseAsync("mine", "team");
        await robot.CoordinationV1.ReplaceNamespacedLeaseAsync(mine, "mine", "team");
        await Forbidden(() => robot.CoordinationV1.ReadNamespacedLeaseAsync("theirs", "team"));
        var create = await Forbidden(() => robot.CoordinationV1.CreateNamespacedLeaseAsync(Lease("mine2"), "team"));
        Assert.Equal($"leases.coordination.k8s.io is forbidden: User \"{Account}\" cannot create resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"team\"", create.Message);
        await Forbidden(() => robot.CoordinationV1.ListNamespacedLeaseAsync("team"));
        Assert.Single((await robot.CoordinationV1.ListNamespacedLeaseAsync("team", fieldSelector: "metadata.name=mine")).Items);
    }

    [Fact]
    public async Task Subresources_need_their_own_rule_or_a_star_slash_rule()
    {
        ApplyClusterRole("apps-status", """{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}""");
        Bind(null, "ClusterRole", "apps-status", """{"kind": "Group", "name": "system:serviceaccounts:team"}""");
        using var robot = _server.CreateServiceAccountClient("team", "robot");
        var patch = new V1Patch("{}", V1Patch.PatchType.MergePatch);

        await Forbidden(() => robot.AppsV1.PatchNamespacedDeploymentStatusAsync(patch, "web", "team"));
        ApplyClusterRole("apps-status", """{"apiGroups": ["apps"], "resources": ["*/status"], "verbs": ["patch"]}""");
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => robot.AppsV1.PatchNamespacedDeploymentStatusAsync(patch, "web", "team"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode); // authorized, then not found
    }

    [Fact]
    public async Task Unknown_or_revoked_token_is_401_but_no_token_is_the_anonymous_user()
    {
        using var madeUp = _server.CreateHttpClient("made-up");
        using var response = await madeUp.GetAsync(new Uri("api/v1/namespaces", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Unauthorized", status["reason"]!.GetValue<string>());
        Assert.Equal("Unauthorized", status["message"]!.GetValue<string>());

        using var robot = _server.CreateServiceAccountClient("team", "robot");
        await _admin.CoreV1.DeleteNamespacedServiceAccountAsync("robot", "team");
        var revoked = await Assert.ThrowsAsync<HttpOperationException>(() => robot.CoreV1.ListNamespacedConfigMapAsync("team"));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.Response.StatusCode);

        using var http = _server.CreateHttpClient();
        using var version = await http.GetAsync(new Uri("version", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, version.StatusCode); // system:public-info-viewer
        using var listed = await http.GetAsync(new Uri("api/v1/namespaces", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, listed.StatusCode);
        Assert.Equal("namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            JsonNode.Parse(await listed.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_binding_to_a_missing_role_is_named_in_the_refusal_and_paths_are_refused_as_paths()
    {
        Bind("team", "Role", "gone", """{"kind": "ServiceAccount", "name": "robot"}""");
        using var robot = _server.CreateServiceAccountClient("team", "robot");

        var refused = await Forbidden(() => robot.CoreV1.ListNamespacedPodAsync("team"));
        Assert.Equal($"pods is forbidden: User \"{Account}\" cannot list resource \"pods\" in API group \"\" in the namespace \"team\": RBAC: role.rbac.authorization.k8s.io \"gone\" not found", refused.Message);

        using var anonymous = _server.CreateHttpClient();
        using var discovery = await anonymous.GetAsync(new Uri("apis", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, discovery.StatusCode);
        Assert.Equal("forbidden: User \"system:anonymous\" cannot get path \"/apis\"", JsonNode.Parse(await discovery.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        Assert.NotEmpty((await robot.CoreV1.GetAPIResourcesAsync()).Resources); // system:discovery, for every authenticated user
    }

    [Fact]
    public async Task Every_decision_is_logged_per_identity()
    {
        using var robot = _server.CreateServiceAccountClient("team", "robot");
        await Forbidden(() => robot.CoreV1.ListNamespacedConfigMapAsync("team"));

        var record = Assert.Single(_server.Authorizations.For(Account));
        Assert.Equal(("list", "configmaps", "team", false), (record.Verb, record.Resource, record.Namespace, record.Allowed));
    }

    private static V1Lease Lease(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1LeaseSpec { HolderIdentity = "x" } };

    private void ApplyRole(string ns, string name, string rule) =>
        _server.ApplyYaml($$"""{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "{{name}}", "namespace": "{{ns}}"}, "rules": [{{rule}}]}""");

    private void ApplyClusterRole(string name, string rule) =>
        _server.ApplyYaml($$"""{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "{{name}}"}, "rules": [{{rule}}]}""");

    private void Bind(string? ns, string roleKind, string role, string subject) => _server.ApplyYaml(ns is null
        ? $$"""{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "{{role}}"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "{{roleKind}}", "name": "{{role}}"}, "subjects": [{{subject}}]}"""
        : $$"""{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "{{role}}", "namespace": "{{ns}}"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "{{roleKind}}", "name": "{{role}}"}, "subjects": [{{subject}}]}""");

    private static async Task<V1Status> Forbidden(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        return KubernetesJson.Deserialize<V1Status>(error.Response.Content);
    }
}
