using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Validation;

/// <summary>
/// Services, PodDisruptionBudgets and NetworkPolicies as kube-apiserver 1.32 judges them (ValidateService and its
/// update, ValidatePodDisruptionBudgetSpec, ValidateNetworkPolicySpec).
/// </summary>
public sealed class ServicePolicyValidationTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_ServiceWithBadPorts_IsRefusedWithEveryReason()
    {
        var manifest = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              selector: {app: web}
              ports:
              - {port: 0}
              - {name: http, port: 80, protocol: HTTP, targetPort: http-endpoint-port}
              - {name: http, port: 80, nodePort: 30080}
              - {name: web, port: 80}
            """;

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("svc.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The Service \"web\" is invalid: ",
                "* spec.ports[0].name: Required value",
                "* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "* spec.ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "* spec.ports[1].targetPort: Invalid value: \"http-endpoint-port\": must be no more than 15 characters",
                "* spec.ports[2].name: Duplicate value: \"http\"",
                "* spec.ports[2].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                "* spec.ports[3]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Apply_ServiceWithAnotherClusterIp_IsRefused()
    {
        const string manifest = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              clusterIP: 10.96.0.20
              ports: [{port: 80}]
            """;
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("svc.yaml", manifest));

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("svc2.yaml", manifest.Replace("10.96.0.20", "10.96.0.21", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.21\"}: may not change once set", result.Stderr.Trim());
    }

    [Fact]
    public async Task Apply_BudgetWithBothLimitsAndABadSelector_IsRefused()
    {
        var manifest = """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: web, namespace: default}
            spec:
              minAvailable: 1
              maxUnavailable: 120%
              unhealthyPodEvictionPolicy: Always
              selector:
                matchExpressions: [{key: app, operator: In}]
            """;

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("pdb.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The PodDisruptionBudget \"web\" is invalid: ",
                "* spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000a1b2d0), Selector:(*v1.LabelSelector)(0xc000a1b2d0), MaxUnavailable:(*intstr.IntOrString)(0xc000a1b2d0), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(0xc000a1b2d0)}: minAvailable and maxUnavailable cannot be both set",
                "* spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%",
                "* spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "* spec.unhealthyPodEvictionPolicy: Unsupported value: \"Always\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void NetworkPolicy_WithAnEmptyPeerAndAPortOutOfRange_IsRefused()
    {
        var error = Assert.Throws<ApiException>(() => _server.ApplyYaml("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: default}
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egres]
              ingress:
              - from: [{}, {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]
                ports: [{port: 70000, protocol: TCP}, {port: metrics, endPort: 9100}]
            """));

        Assert.Equal(
            "NetworkPolicy.networking.k8s.io \"web\" is invalid: ["
            + "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, "
            + "spec.ingress[0].ports[1].endPort: Forbidden: may not be specified when `port` is non-numeric, "
            + "spec.ingress[0].from[0]: Required value: must specify a peer, "
            + "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer, "
            + "spec.policyTypes[1]: Unsupported value: \"Egres\": supported values: \"Egress\", \"Ingress\"]",
            error.Message);
    }
}
