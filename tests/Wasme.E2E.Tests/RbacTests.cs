using k8s;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Kubernetes.Authorization;
using Wasme.Testing.Registry;

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

        var granted = await GrantedAsync(Identities);
        Assert.NotEmpty(granted);
        var unused = granted
            .Where(p => !decisions.Any(p.UsedBy))
            .Select(p => p.ToString())
            .Where(p => !NotExercised.ContainsKey(p.Split(" [", 2)[0]))
            .ToList();
        Assert.True(unused.Count == 0, "deploy/ grants permissions the operator and cache never used:\n" + string.Join('\n', unused));
    }

    // A namespace's user with the shipped wasme-deployer and wasme-node-records-reader roles, as docs/install.md binds them.
    private const string DeployerNamespace = "e2e-deployer";
    private const string DeployerUser = $"system:serviceaccount:{DeployerNamespace}:platform-user";

    // Reads outside a namespace's own grants that deploy tries and goes on without (docs/filterdeployment.md).
    private static readonly string[] OptionalForDeployer = ["get /namespaces", "list apps/deployments"];

    [Fact]
    public async Task Wasme_deploy_as_a_user_with_the_shipped_deployer_roles_is_never_refused_and_uses_every_grant()
    {
        // The Remote flow first: it is where the cache reads a pull secret, which it skips for a module already held.
        await cluster.Deliveries.RunAsync("Remote", () => FilterDeploymentEndToEndTests.DeliverAsync(cluster, "Remote", "envoyfilters"));
        var manifests = cluster.Scratch("deployer.yaml");
        await File.WriteAllTextAsync(manifests, $$"""
            apiVersion: v1
            kind: Namespace
            metadata: {name: {{DeployerNamespace}} }
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: platform-user, namespace: {{DeployerNamespace}} }
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: wasme-deployer, namespace: {{DeployerNamespace}} }
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wasme-deployer}
            subjects: [{kind: ServiceAccount, name: platform-user, namespace: {{DeployerNamespace}} }]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: wasme-node-records-reader-{{DeployerNamespace}}, namespace: wasme}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: wasme-node-records-reader}
            subjects: [{kind: ServiceAccount, name: platform-user, namespace: {{DeployerNamespace}} }]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: details-v1, namespace: {{DeployerNamespace}}, labels: {app: details} }
            spec:
              selector: {matchLabels: {app: details} }
              template:
                metadata: {labels: {app: details} }
                spec: {containers: [{name: details, image: docker.io/istio/examples-bookinfo-details-v1:1.16.2}] }
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: {{DeployerNamespace}}, labels: {app: agent} }
            spec:
              selector: {matchLabels: {app: agent} }
              template:
                metadata: {labels: {app: agent} }
                spec: {containers: [{name: agent, image: docker.io/library/busybox:1.36}] }
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, namespace: {{DeployerNamespace}}, labels: {app: db} }
            spec:
              serviceName: db
              selector: {matchLabels: {app: db} }
              template:
                metadata: {labels: {app: db} }
                spec: {containers: [{name: db, image: docker.io/library/busybox:1.36}] }
            """);
        await cluster.KubectlAsync("apply", "-f", manifests);
        var kubeconfig = await cluster.Kube.CreateServiceAccountKubeconfigAsync(DeployerNamespace, "platform-user", cluster.Scratch("kubeconfig-platform-user"));

        // Deploy, deploy again with another config (an update), undeploy: the whole imperative life of a filter; then the
        // other workload kinds and WasmPlugin delivery, which read what the first does not.
        foreach (var arguments in new[]
        {
            new[] { "deploy", "istio", cluster.Image, "--id", "team-filter", "--labels", "app=details", "--config", "one" },
            ["deploy", "istio", cluster.Image, "--id", "team-filter", "--labels", "app=details", "--config", "two"],
            ["undeploy", "istio", "--id", "team-filter"],
            ["deploy", "istio", cluster.Image, "--id", "agent-filter", "--workload-type", "daemonset", "--labels", "app=agent", "--delivery", "wasmplugin", "--config", "{\"greeting\":\"hi\"}"],
            ["undeploy", "istio", "--id", "agent-filter", "--workload-type", "daemonset", "--labels", "app=agent"],
            ["deploy", "istio", cluster.Image, "--id", "db-filter", "--workload-type", "statefulset", "--labels", "app=db"],
            ["undeploy", "istio", "--id", "db-filter", "--workload-type", "statefulset", "--labels", "app=db"],
        })
        {
            var (code, output) = await WasmeProcess.RunAsync(cluster.Environment, [.. arguments, "--namespace", DeployerNamespace, "--wait", "90s", "--kubeconfig", kubeconfig]);
            Assert.True(code == 0, $"wasme {string.Join(' ', arguments)} exited {code}:\n{output}\n--- operator ---\n{cluster.Operator.Output}");
        }

        var decisions = cluster.Kube.Authorizations.Snapshot().Where(d => d.User == DeployerUser && d.IsResourceRequest).ToList();
        Assert.Empty(decisions
            .Where(d => !d.Allowed && !OptionalForDeployer.Contains($"{d.Verb} {d.ApiGroup}/{d.Resource}"))
            .Select(d => $"{d.Verb} {d.ApiGroup}/{d.Resource} {d.Namespace}/{d.Name}").Distinct());
        var unused = (await GrantedAsync([DeployerUser])).Where(p => !decisions.Any(p.UsedBy)).Select(p => p.ToString()).ToList();
        Assert.True(unused.Count == 0, "the deployer roles grant permissions wasme deploy and undeploy never used:\n" + string.Join('\n', unused));
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

    [Fact]
    public async Task A_node_cache_writes_its_node_record_and_no_configmap_in_its_namespace()
    {
        // A server of its own: the refusals below must not count against the shared flow's "never refused" check.
        await using var kube = await KubernetesTestServer.StartAsync();
        var scratch = Directory.CreateTempSubdirectory("wasme-rbac-").FullName;
        try
        {
            async Task<(int ExitCode, string Output, string Error)> Kubectl(string kubeconfig, params string[] arguments) =>
                await ExternalTool.RunAsync("kubectl", [.. arguments, "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(scratch, "kubectl-cache")]);

            var install = await Kubectl(kube.KubeconfigPath, "apply", "-k", Path.Combine(ClusterEnvironment.RepositoryRoot, "deploy"));
            Assert.True(install.ExitCode == 0, install.Error);
            var cache = await kube.CreateServiceAccountKubeconfigAsync("wasme", "wasme-cache", Path.Combine(scratch, "kubeconfig-cache"));
            var operatorKubeconfig = await kube.CreateServiceAccountKubeconfigAsync("wasme", "wasme-operator", Path.Combine(scratch, "kubeconfig-operator"));

            // What a compromised node could do with its cache's token: rewrite a ConfigMap others rely on, or plant one.
            var configMap = Path.Combine(scratch, "configmap.yaml");
            await File.WriteAllTextAsync(configMap, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: planted, namespace: wasme}\ndata: {a: b}\n");
            var planted = await Kubectl(cache, "create", "-f", configMap);
            Assert.NotEqual(0, planted.ExitCode);
            Assert.Contains(
                "configmaps is forbidden: User \"system:serviceaccount:wasme:wasme-cache\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"wasme\"",
                planted.Error, StringComparison.Ordinal);
            using (var asCache = kube.CreateServiceAccountClient("wasme", "wasme-cache"))
            {
                var rewritten = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => asCache.CoreV1.PatchNamespacedConfigMapAsync(
                    new k8s.Models.V1Patch("{\"data\":{\"ca.crt\":\"x\"}}", k8s.Models.V1Patch.PatchType.MergePatch), "kube-root-ca.crt", "wasme"));
                Assert.Equal(
                    "configmaps \"kube-root-ca.crt\" is forbidden: User \"system:serviceaccount:wasme:wasme-cache\" cannot patch resource \"configmaps\" in API group \"\" in the namespace \"wasme\"",
                    System.Text.Json.Nodes.JsonNode.Parse(rewritten.Response.Content)?["message"]?.GetValue<string>());
            }

            foreach (var verb in new[] { "create", "update", "patch", "delete" })
            {
                Assert.Equal("no", await CanIAsync(Kubectl, cache, "auth", "can-i", verb, "configmaps", "-n", "wasme"));
            }

            // What it needs: its node's record, created once, then patched on every change; never read.
            var record = Path.Combine(scratch, "record.yaml");
            await File.WriteAllTextAsync(record, "apiVersion: wasme.io/v1\nkind: CacheNodeRecord\nmetadata: {name: worker-1, namespace: wasme}\nspec: {modules: []}\n");
            var created = await Kubectl(cache, "create", "-f", record);
            Assert.True(created.ExitCode == 0, created.Error);
            // A merge patch, as the cache sends it (kubectl patch would read the record first, which the cache may not).
            using (var asCache = kube.CreateServiceAccountClient("wasme", "wasme-cache"))
            {
                await asCache.CustomObjects.PatchNamespacedCustomObjectAsync(
                    new k8s.Models.V1Patch($"{{\"spec\":{{\"modules\":[\"{new string('a', 64)}\"]}}}}", k8s.Models.V1Patch.PatchType.MergePatch),
                    "wasme.io", "v1", "wasme", "cachenoderecords", "worker-1");
            }

            Assert.Equal(new string('a', 64), kube.Get("wasme.io/v1", "CacheNodeRecord", "wasme", "worker-1")?["spec"]?["modules"]?[0]?.GetValue<string>());
            Assert.Equal("no", await CanIAsync(Kubectl, cache, "auth", "can-i", "get", "cachenoderecords.wasme.io", "-n", "wasme"));
            Assert.Equal("no", await CanIAsync(Kubectl, cache, "auth", "can-i", "patch", "cachenoderecords.wasme.io", "-n", "default"));

            // The operator reads the records and no ConfigMap.
            Assert.Equal("yes", await CanIAsync(Kubectl, operatorKubeconfig, "auth", "can-i", "watch", "cachenoderecords.wasme.io", "-n", "wasme"));
            Assert.Equal("no", await CanIAsync(Kubectl, operatorKubeconfig, "auth", "can-i", "patch", "cachenoderecords.wasme.io", "-n", "wasme"));
            Assert.Equal("no", await CanIAsync(Kubectl, operatorKubeconfig, "auth", "can-i", "list", "configmaps", "-n", "wasme"));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<string> CanIAsync(Func<string, string[], Task<(int ExitCode, string Output, string Error)>> kubectl, string kubeconfig, params string[] question)
    {
        var (code, output, error) = await kubectl(kubeconfig, question);
        Assert.True(code is 0 or 1, error);
        return output.Trim();
    }

    private async Task<string> CanIAsync(string kubeconfig, params string[] question)
    {
        var (code, output, error) = await cluster.KubectlAsAsync(kubeconfig, ["auth", "can-i", .. question]);
        Assert.True(code is 0 or 1, error);
        return output.Trim();
    }

    // Every (identity, verb, group, resource) deploy/'s roles give the operator or the cache, through whichever
    // bindings exist now: deploy/'s own, and the namespace RoleBindings the flow created as docs/install.md says.
    private async Task<List<Permission>> GrantedAsync(IReadOnlyCollection<string> identities)
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
            foreach (var user in (subjects ?? []).Where(s => s.Kind == "ServiceAccount").Select(s => $"system:serviceaccount:{s.NamespaceProperty ?? ns}:{s.Name}").Where(identities.Contains))
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
