using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Schema;

/// <summary>
/// The <c>format</c> of string fields, which apiextensions-apiserver checks for the formats it supports (date-time,
/// uuid, ipv4, byte, ...) and ignores for the rest: a controller writing a condition's lastTransitionTime
/// without a time zone is refused by a real cluster.
/// </summary>
public sealed class StringFormatTests : IAsyncLifetime
{
    private const string Crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: samples.example.com}
        spec:
          group: example.com
          names: {kind: Sample, plural: samples, singular: sample}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                    properties:
                      date-time: {type: string, format: date-time}
                      date: {type: string, format: date}
                      duration: {type: string, format: duration}
                      uuid: {type: string, format: uuid}
                      ipv4: {type: string, format: ipv4}
                      ipv6: {type: string, format: ipv6}
                      cidr: {type: string, format: cidr}
                      byte: {type: string, format: byte}
                      hostname: {type: string, format: hostname}
                      unsupported: {type: string, format: k8s-short-name}
        """;

    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Crd));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("date-time", "2026-12-07T11:47:11Z")]
    [InlineData("date-time", "2026-12-07T11:47:11.1234567+01:00")]
    [InlineData("date-time", "2026-12-07t11:47:11z")]
    [InlineData("date", "2024-02-29")]
    [InlineData("duration", "1h30m")]
    [InlineData("duration", "3 days")]
    [InlineData("uuid", "A1BDE6C4-ADC7-4C94-9BB1-0ADE92AA7DC4")]
    [InlineData("ipv4", "10.0.0.1")]
    [InlineData("ipv6", "fd00::1")]
    [InlineData("cidr", "10.0.0.0/8")]
    [InlineData("byte", "aGVsbG8=")]
    [InlineData("hostname", "registry.example.com")]
    [InlineData("unsupported", "Not_A_Name")]
    public async Task Create_ValueOfItsFormat_IsAccepted(string field, string value)
    {
        var result = await CreateAsync(field, value);

        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [Theory]
    [InlineData("date-time", "2026-12-07T11:47:11")]
    [InlineData("date-time", "yesterday")]
    [InlineData("date-time", "")]
    [InlineData("date-time", "2026-12-07T24:00:00Z")]
    [InlineData("date", "2023-02-29")]
    [InlineData("duration", "soon")]
    [InlineData("uuid", "not-a-uuid")]
    [InlineData("ipv4", "fd00::1")]
    [InlineData("ipv6", "10.0.0.1")]
    [InlineData("cidr", "10.0.0.0/33")]
    [InlineData("byte", "not base64!")]
    [InlineData("hostname", "-bad-.example.com")]
    public async Task Create_ValueNotOfItsFormat_IsRefused(string field, string value)
    {
        var result = await CreateAsync(field, value);

        Assert.Equal(1, result.ExitCode);
        var format = field;
        Assert.Equal(
            $"The Sample \"s\" is invalid: spec.{field}: Invalid value: \"{value}\": spec.{field} in body must be of type {format}: \"{value}\"",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task StatusPatch_ConditionTimeWithoutZone_IsRefusedOnTheFilterDeploymentCrd()
    {
        await _kubectl.SucceedAsync("apply", "-f", CrdValidationTests.RepositoryFile("deploy", "crds", "filterdeployments.wasme.io.yaml"));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("fd.yaml", """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: default}
            spec:
              filter: {image: example.com/f:1}
              deployment: {istio: {labels: {app: web}}}
            """));
        const string Condition = """{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Applied","message":"ok","lastTransitionTime":"TIME"}]}}""";

        var refused = await _kubectl.RunAsync("patch", "filterdeployment", "f", "--subresource=status", "--type=merge", "-p", Condition.Replace("TIME", "2026-12-07T11:47:11.1234567", StringComparison.Ordinal));
        var accepted = await _kubectl.RunAsync("patch", "filterdeployment", "f", "--subresource=status", "--type=merge", "-p", Condition.Replace("TIME", "2026-12-07T11:47:11.1234567Z", StringComparison.Ordinal));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(
            "status.conditions[0].lastTransitionTime: Invalid value: \"2026-12-07T11:47:11.1234567\": status.conditions[0].lastTransitionTime in body must be of type date-time: \"2026-12-07T11:47:11.1234567\"",
            refused.Stderr);
        Assert.True(accepted.ExitCode == 0, accepted.Stderr);
    }

    private Task<KubectlResult> CreateAsync(string field, string value) =>
        _kubectl.RunAsync("create", "-f", _kubectl.WriteManifest("s.yaml", $$"""
            apiVersion: example.com/v1
            kind: Sample
            metadata: {name: s, namespace: default}
            spec: {"{{field}}": "{{value}}"}
            """));
}
