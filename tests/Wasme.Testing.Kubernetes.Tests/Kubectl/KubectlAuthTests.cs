using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>kubectl's own auth commands against the test server: create token, auth can-i (also --as), and a forbidden call.</summary>
public sealed class KubectlAuthTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _admin = new KubectlRunner(_server);
        // kubectl create sends protobuf, which this server does not speak (apply sends JSON).
        await _admin.SucceedAsync("apply", "-f", _admin.WriteManifest("team.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: team}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: robot, namespace: team}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: reader, namespace: team}
            rules:
            - {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: reader, namespace: team}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
            subjects:
            - {kind: ServiceAccount, name: robot, namespace: team}
            """));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Create_token_gives_a_token_that_acts_as_the_service_account()
    {
        var token = (await _admin.SucceedAsync("create", "token", "robot", "-n", "team", "--duration=20m")).Trim();

        var whoami = await _admin.RunAsync("get", "configmaps", "-n", "kube-system", "--token", token);
        Assert.NotEqual(0, whoami.ExitCode);
        Assert.Contains(
            "Error from server (Forbidden): configmaps is forbidden: User \"system:serviceaccount:team:robot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"kube-system\"",
            whoami.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await _admin.RunAsync("get", "configmaps", "-n", "team", "--token", token)).ExitCode);
    }

    [Fact]
    public async Task Auth_can_i_agrees_with_what_the_server_enforces()
    {
        var robot = new KubectlRunner(_server, await _server.CreateServiceAccountKubeconfigAsync("team", "robot"));

        Assert.Equal("yes", (await robot.SucceedAsync("auth", "can-i", "list", "configmaps", "-n", "team")).Trim());
        var no = await robot.RunAsync("auth", "can-i", "delete", "configmaps", "-n", "team");
        Assert.Equal((1, "no"), (no.ExitCode, no.Stdout.Trim()));
        var forbidden = await robot.RunAsync("delete", "configmap", "x", "-n", "team");
        Assert.Contains("configmaps \"x\" is forbidden: User \"system:serviceaccount:team:robot\" cannot delete resource \"configmaps\" in API group \"\" in the namespace \"team\"",
            forbidden.Stderr, StringComparison.Ordinal);
        Assert.Equal("yes", (await _admin.SucceedAsync("auth", "can-i", "list", "configmaps", "-n", "team", "--as", "system:serviceaccount:team:robot")).Trim());
        Assert.Equal("no", (await _admin.RunAsync("auth", "can-i", "list", "secrets", "-n", "team", "--as", "system:serviceaccount:team:robot")).Stdout.Trim());
        Assert.Equal("yes", (await _admin.SucceedAsync("auth", "can-i", "*", "*")).Trim());
    }
}
