using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Validation;

/// <summary>
/// Events as kube-apiserver 1.32 judges them (ValidateEventCreate/Update): core/v1 keeps the legacy rules (the namespace
/// must match the involved object's; an Event with eventTime names its reporting controller), events.k8s.io/v1 adds the
/// strict ones (eventTime required, Normal or Warning, no deprecated fields, nothing but the series may change).
/// </summary>
public sealed class EventValidationTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        _server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_CoreEventAboutAnObjectInAnotherNamespace_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("e.yaml", CoreEvent("team", involvedNamespace: "default")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The Event \"web.1\" is invalid: involvedObject.namespace: Invalid value: \"default\": does not match event.namespace", result.Stderr.Trim());
    }

    [Fact]
    public async Task Create_CoreEventAboutAClusterObjectOutsideDefault_IsRefused()
    {
        using var client = _server.CreateClient();
        var ev = Event("team", involvedNamespace: null);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedEventAsync(ev, "team"));

        Assert.Equal(422, (int)error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("involvedObject.namespace", (string?)status["details"]!["causes"]![0]!["field"]);
        Assert.Equal("Invalid value: \"\": does not match event.namespace", (string?)status["details"]!["causes"]![0]!["message"]);
    }

    [Fact]
    public async Task Create_CoreEventAboutAClusterObjectInDefault_IsAccepted()
    {
        using var client = _server.CreateClient();

        await client.CoreV1.CreateNamespacedEventAsync(Event("default", involvedNamespace: null), "default");
    }

    [Fact]
    public async Task Create_CoreEventWithEventTime_NeedsReportingInstanceAndActionAndAShortReason()
    {
        using var client = _server.CreateClient();
        var ev = Event("team", "team");
        ev.EventTime = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        ev.Reason = new string('r', 129);
        ev.ReportingInstance = null;

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedEventAsync(ev, "team"));

        Assert.Contains(
            "Event \"web.1\" is invalid: [reportingInstance: Required value, action: Required value, reason: Invalid value: \"\": can have at most 128 characters]",
            Message(error));
    }

    [Fact]
    public async Task Create_CoreEventWithEventTimeAndABadReportingController_IsRefused()
    {
        using var client = _server.CreateClient();
        var ev = Event("team", "team");
        ev.EventTime = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        ev.Action = "Reconcile";
        ev.ReportingComponent = "wasme operator";
        ev.ReportingInstance = new string('i', 129);
        ev.Message = new string('m', 1025);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedEventAsync(ev, "team"));

        Assert.Contains("reportingController: Invalid value: \"wasme operator\": name part must consist of alphanumeric characters", Message(error));
        Assert.Contains("reportingInstance: Invalid value: \"\": can have at most 128 characters", Message(error));
        Assert.Contains("message: Invalid value: \"\": can have at most 1024 characters", Message(error));
    }

    [Fact]
    public async Task Create_CoreEventNamedAsAPathSegment_IsAcceptedThoughNotADnsName()
    {
        // core/v1 Events are checked by the legacy rules only: their names are path segments, like client-go's "<name>.<hex>".
        using var client = _server.CreateClient();
        var ev = Event("team", "team");
        ev.Metadata.Name = "Web_Frontend." + new string('a', 260);

        await client.CoreV1.CreateNamespacedEventAsync(ev, "team");
    }

    [Fact]
    public async Task Apply_EventsV1WithoutEventTimeOrAKnownType_IsRefused()
    {
        var manifest = """
            apiVersion: events.k8s.io/v1
            kind: Event
            metadata: {name: web.1, namespace: team}
            regarding: {kind: Pod, name: web, namespace: team}
            reason: Started
            type: Info
            deprecatedCount: 2
            """;

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("e.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The Event \"web.1\" is invalid: \n* eventTime: Required value\n* type: Invalid value: \"\": has invalid value: Info\n* count: Invalid value: \"\": needs to be unset",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Apply_EventsV1WithEventTime_NeedsTheReportingFields()
    {
        var manifest = """
            apiVersion: events.k8s.io/v1
            kind: Event
            metadata: {name: web.1, namespace: team}
            eventTime: "2026-12-07T12:00:00.000000Z"
            regarding: {kind: Pod, name: web, namespace: team}
            reason: Started
            type: Normal
            series: {count: 1}
            """;

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("e.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        // An empty controller is also not a qualified name: kube-apiserver says so twice more.
        Assert.Equal(
            [
                "The Event \"web.1\" is invalid: ",
                "* reportingController: Required value",
                "* reportingController: Invalid value: \"\": name part must be non-empty",
                "* reportingController: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                "* reportingInstance: Required value",
                "* action: Required value",
                "* series.count: Invalid value: \"\": should be at least 2",
                "* series.lastObservedTime: Required value",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Reapply_EventsV1WithAnotherNote_IsRefusedAsImmutable()
    {
        const string manifest = """
            apiVersion: events.k8s.io/v1
            kind: Event
            metadata: {name: web.1, namespace: team}
            eventTime: "2026-12-07T12:00:00.000000Z"
            regarding: {kind: Pod, name: web, namespace: team}
            reason: Started
            action: Start
            note: first
            type: Normal
            reportingController: example.com/runner
            reportingInstance: runner-1
            """;
        Assert.Contains("event.events.k8s.io/web.1 created", await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("e.yaml", manifest)));

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("e2.yaml", manifest.Replace("note: first", "note: second", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The Event \"web.1\" is invalid: message: Invalid value: \"second\": field is immutable", result.Stderr.Trim());
    }

    private static string Message(HttpOperationException error) => (string)JsonNode.Parse(error.Response.Content)!["message"]!;

    private static Corev1Event Event(string ns, string? involvedNamespace) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web.1", NamespaceProperty = ns },
        InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "web", NamespaceProperty = involvedNamespace, ApiVersion = "v1" },
        Reason = "Started",
        Message = "started",
        Type = "Normal",
        Source = new V1EventSource { Component = "example" },
        ReportingComponent = "example.com/runner",
        ReportingInstance = "runner-1",
    };

    private static string CoreEvent(string ns, string involvedNamespace) => $$"""
        apiVersion: v1
        kind: Event
        metadata: {name: web.1, namespace: {{ns}}}
        involvedObject: {kind: Pod, name: web, namespace: {{involvedNamespace}}}
        reason: Started
        message: started
        type: Normal
        """;
}
