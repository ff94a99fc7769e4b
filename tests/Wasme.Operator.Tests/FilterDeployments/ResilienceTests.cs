using System.Text.Json.Nodes;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Acceptance 2 and 3 of the operator issue: every kind of spec change converges, broken FilterDeployments say why
/// without holding up the others, and a killed operator, injected conflicts and resyncs leave exactly the wanted objects.
/// </summary>
public sealed class ResilienceTests : IClassFixture<RegistryFixture>
{
    private const string UserVolume = "[{\"name\":\"certs\",\"secret\":{\"secretName\":\"certs\"}}]";
    private readonly RegistryFixture _registry;

    public ResilienceTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task A_new_image_tag_converges_to_the_new_digest_in_status_and_objects()
    {
        var v1 = await _registry.PushAsync("retag/filter:v1", seed: 1);
        var v2 = await _registry.PushAsync("retag/filter:v2", seed: 2);
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("f", v1.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("f"), "f is Ready on v1");
        Assert.Equal(v1.ManifestDigest, (string?)harness.FilterDeployment("f")!["status"]!["imageDigest"]);

        harness.Apply(Manifests.FilterDeployment("f", v2.Reference));

        await harness.EventuallyAsync(
            () => (string?)harness.FilterDeployment("f")!["status"]!["imageDigest"] == v2.ManifestDigest && harness.IsReady("f"),
            "status carries the v2 digest");
        var status = harness.FilterDeployment("f")!["status"]!;
        Assert.Equal(v2.ModuleSha256, (string?)status["moduleSha256"]);
        Assert.Equal(2, (long?)status["observedGeneration"]);
        var code = RemoteCode(harness.EnvoyFilter("details-v1-f.bookinfo")!);
        Assert.Equal(v2.ModuleSha256, (string?)code["sha256"]);
        Assert.EndsWith(v2.ModuleSha256, (string?)code["http_uri"]!["uri"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_labels_move_the_filter_and_restore_the_deselected_workload_exactly()
    {
        var image = await _registry.PushAsync("relabel/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details", podAnnotations: new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = UserVolume }));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        var before = PodAnnotations(harness, "details-v1").ToJsonString();
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"));
        await harness.EventuallyAsync(() => harness.IsReady("f"), "f is Ready on details");
        Assert.NotEqual(before, PodAnnotations(harness, "details-v1").ToJsonString());

        harness.Apply(Manifests.FilterDeployment("f", image.Reference, app: "reviews", delivery: "HostPath"));

        await harness.EventuallyAsync(
            () => harness.EnvoyFilter("details-v1-f.bookinfo") is null && harness.EnvoyFilter("reviews-v1-f.bookinfo") is not null,
            "the EnvoyFilter moved from details to reviews");
        await harness.EventuallyAsync(() => PodAnnotations(harness, "details-v1").ToJsonString() == before, "details-v1's annotations are back byte for byte");
        Assert.Contains("wasme-cache", (string?)PodAnnotations(harness, "reviews-v1")["sidecar.istio.io/userVolume"], StringComparison.Ordinal);
        await harness.EventuallyAsync(
            () => harness.FilterDeployment("f")!["status"]!["workloads"]!.AsObject().Select(w => w.Key).SequenceEqual(["reviews-v1"]),
            "status lists only reviews-v1");
    }

    [Theory]
    [InlineData("missing-image", "ImageNotFound")]
    [InlineData("missing-pull-secret", "PullSecretInvalid")]
    [InlineData("invalid-config", "InvalidSpec")]
    public async Task A_broken_FilterDeployment_gets_a_condition_and_an_Event_while_another_is_served(string broken, string reason)
    {
        var image = await _registry.PushAsync($"broken/{broken}:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.StartOperator();

        harness.Apply(broken switch
        {
            "missing-image" => Manifests.FilterDeployment("broken", $"{_registry.Host}/broken/never-pushed:v9"),
            "missing-pull-secret" => Manifests.FilterDeployment("broken", image.Reference, pullSecret: "absent-creds"),
            // The CRD refuses a config that is not a string or an object (a number, say); an Any of another type passes
            // the API server, and only the operator can say what is wrong with it.
            _ => Manifests.FilterDeployment("broken", image.Reference, config: new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.protobuf.Int32Value",
                ["value"] = 42,
            }),
        });
        harness.Apply(Manifests.FilterDeployment("good", image.Reference, app: "reviews"));

        await harness.EventuallyAsync(() => harness.IsReady("good"), "the good FilterDeployment is Ready");
        Assert.NotNull(harness.EnvoyFilter("reviews-v1-good.bookinfo"));
        await harness.EventuallyAsync(() => (string?)harness.Condition("broken", "Ready")?["reason"] == reason, $"the broken one says {reason}");
        var ready = harness.Condition("broken", "Ready")!;
        Assert.Equal("False", (string?)ready["status"]);
        var message = (string)ready["message"]!;
        Assert.Contains(broken switch { "missing-image" => "never-pushed", "missing-pull-secret" => "absent-creds", _ => "spec.filter.config" }, message, StringComparison.Ordinal);
        Assert.DoesNotContain(await harness.EnvoyFiltersAsync(), f => (string?)f["metadata"]!["labels"]!["wasme.io/filter-deployment"] == "broken");
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("broken")).Any(e => (string?)e["type"] == "Warning" && (string?)e["reason"] == reason && (string?)e["message"] == message),
            "a Warning Event carries the same reason and message");
    }

    [Fact]
    public async Task An_operator_killed_mid_way_and_restarted_converges_without_duplicates_or_orphans()
    {
        var image = await _registry.PushAsync("restart/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        for (var i = 0; i < 8; i++)
        {
            harness.Apply(Manifests.Workload($"details-v{i}", "details", $"v{i}"));
            harness.Apply(Manifests.Workload($"reviews-v{i}", "reviews", $"v{i}"));
        }

        // Slow writes so the kill lands while the first operator is still creating objects.
        harness.Server.Faults.Latency = TimeSpan.FromMilliseconds(40);
        harness.StartOperator(new FilterDeploymentOperatorOptions { Workers = 1 });
        harness.Apply(Manifests.FilterDeployment("a", image.Reference));
        harness.Apply(Manifests.FilterDeployment("b", image.Reference, app: "reviews", delivery: "HostPath"));
        harness.Apply(Manifests.FilterDeployment("c", image.Reference, app: "reviews"));
        await harness.EventuallyAsync(() => harness.Server.Get("networking.istio.io/v1alpha3", "EnvoyFilter", OperatorHarness.Namespace, "details-v0-a.bookinfo") is not null, "the first operator has started writing");
        await harness.KillOperatorAsync();
        Assert.False(harness.IsReady("c"), "the kill landed before everything converged");

        // While no operator runs: one FilterDeployment is deleted (its finalizer holds it) and another changes.
        await harness.DeleteFilterDeploymentAsync("b");
        harness.Apply(Manifests.FilterDeployment("a", image.Reference, config: "again"));
        harness.Server.Faults.Latency = TimeSpan.Zero;
        harness.StartOperator();

        await harness.EventuallyAsync(() => harness.IsReady("a") && harness.IsReady("c") && harness.FilterDeployment("b") is null, "a and c are Ready and b is gone");
        await AssertExactlyAsync(harness, new()
        {
            ["a"] = [.. Enumerable.Range(0, 8).Select(i => $"details-v{i}")],
            ["c"] = [.. Enumerable.Range(0, 8).Select(i => $"reviews-v{i}")],
        });
        Assert.All(await harness.EnvoyFiltersAsync(), f => Assert.Equal(
            (string?)harness.FilterDeployment((string)f["metadata"]!["labels"]!["wasme.io/filter-deployment"]!)!["metadata"]!["uid"],
            (string?)f["metadata"]!["ownerReferences"]![0]!["uid"]));
        for (var i = 0; i < 8; i++)
        {
            Assert.DoesNotContain(PodAnnotations(harness, $"reviews-v{i}"), a => a.Key.StartsWith("wasme", StringComparison.Ordinal) || a.Key.StartsWith("sidecar.istio.io", StringComparison.Ordinal));
            Assert.Equal("again", (string?)EnvoyFilterConfig(harness.EnvoyFilter($"details-v{i}-a.bookinfo")!)["configuration"]!["value"]);
        }
    }

    [Fact]
    public async Task A_conflict_on_every_third_write_still_converges_without_duplicates()
    {
        var image = await _registry.PushAsync("conflicts/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            harness.Apply(Manifests.Workload($"details-v{i}", "details", $"v{i}", podAnnotations: new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = UserVolume }));
            harness.Apply(Manifests.Workload($"reviews-v{i}", "reviews", $"v{i}"));
        }

        harness.Server.Faults.ConflictEveryNthWrite(3);
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("hostpath", image.Reference, delivery: "HostPath"));
        harness.Apply(Manifests.FilterDeployment("remote", image.Reference, app: "reviews"));
        harness.Apply(Manifests.FilterDeployment("plugin", image.Reference, app: "reviews", config: new JsonObject { ["greeting"] = "hi" }, delivery: "WasmPlugin"));

        await harness.EventuallyAsync(() => harness.IsReady("hostpath") && harness.IsReady("remote") && harness.IsReady("plugin"), "all three are Ready");
        Assert.True(harness.Server.Faults.InjectedConflicts > 0);
        await AssertExactlyAsync(harness, new()
        {
            ["hostpath"] = [.. Enumerable.Range(0, 4).Select(i => $"details-v{i}")],
            ["remote"] = [.. Enumerable.Range(0, 4).Select(i => $"reviews-v{i}")],
        });
        var plugins = await harness.ListAsync("extensions.istio.io", "v1alpha1", "wasmplugins");
        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"reviews-v{i}-plugin.bookinfo"), plugins.Select(p => (string)p["metadata"]!["name"]!).Order());

        await harness.DeleteFilterDeploymentAsync("hostpath");
        await harness.EventuallyAsync(() => harness.FilterDeployment("hostpath") is null, "the HostPath FilterDeployment is finalized under conflicts too");
        for (var i = 0; i < 4; i++)
        {
            var annotations = PodAnnotations(harness, $"details-v{i}");
            Assert.Equal(UserVolume, (string?)annotations["sidecar.istio.io/userVolume"]);
            Assert.Single(annotations);
        }
    }

    [Fact]
    public async Task A_steady_state_resync_and_image_refresh_write_nothing()
    {
        var image = await _registry.PushAsync("steady/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            harness.Apply(Manifests.Workload($"details-v{i}", "details", $"v{i}", podAnnotations: new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = UserVolume }));
            harness.Apply(Manifests.Workload($"reviews-v{i}", "reviews", $"v{i}"));
        }

        using var reconciles = new ReconcileCounter(harness.Metrics);
        harness.StartOperator(new FilterDeploymentOperatorOptions
        {
            ResyncPeriod = TimeSpan.FromMilliseconds(300),
            Reconciler = new FilterDeploymentReconcilerOptions { ImageRefreshInterval = TimeSpan.FromMilliseconds(200) },
        });
        harness.Apply(Manifests.FilterDeployment("hostpath", image.Reference, delivery: "HostPath"));
        harness.Apply(Manifests.FilterDeployment("remote", image.Reference, app: "reviews"));
        harness.Apply(Manifests.FilterDeployment("plugin", image.Reference, app: "reviews", config: new JsonObject { ["greeting"] = "hi" }, delivery: "WasmPlugin"));
        // Ready shows before the write that made it is logged: wait until no reconcile is under way, then count from a
        // clean log. Later echoes of those writes through the watches are steady-state reconciles like the rest.
        string[] names = ["hostpath", "remote", "plugin"];
        await harness.EventuallyAsync(() => names.All(harness.IsReady) && !names.Any(harness.IsReconciling), "all three are Ready and done writing");
        Assert.NotEmpty(harness.Writes()); // the log does see the operator's writes
        harness.Server.Requests.Clear();
        var start = reconciles.Count;
        await harness.EventuallyAsync(() => reconciles.Count >= start + 15, "at least five resync rounds of all three");

        Assert.Empty(harness.Writes());
    }

    [Fact]
    public async Task An_operator_restarted_after_steady_state_writes_nothing()
    {
        var image = await _registry.PushAsync("restart-steady/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        for (var i = 0; i < 2; i++)
        {
            harness.Apply(Manifests.Workload($"details-v{i}", "details", $"v{i}", podAnnotations: new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = UserVolume }));
            harness.Apply(Manifests.Workload($"reviews-v{i}", "reviews", $"v{i}"));
        }

        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("hostpath", image.Reference, delivery: "HostPath"));
        harness.Apply(Manifests.FilterDeployment("remote", image.Reference, app: "reviews"));
        harness.Apply(Manifests.FilterDeployment("plugin", image.Reference, app: "reviews", config: new JsonObject { ["greeting"] = "hi" }, delivery: "WasmPlugin"));
        string[] names = ["hostpath", "remote", "plugin"];
        await harness.EventuallyAsync(() => names.All(harness.IsReady) && !names.Any(harness.IsReconciling), "all three are Ready and done writing");

        // A rollout of a new operator version (or a crash) starts from nothing in memory: it must find everything
        // as it wants it and write nothing, neither objects nor status nor Events.
        await harness.KillOperatorAsync();
        harness.Server.Requests.Clear();
        using var reconciles = new ReconcileCounter(harness.Metrics);
        harness.StartOperator(new FilterDeploymentOperatorOptions { ResyncPeriod = TimeSpan.FromMilliseconds(300) });
        await harness.EventuallyAsync(() => reconciles.Count >= 9 && !names.Any(harness.IsReconciling), "three rounds of all three after the restart");

        Assert.Empty(harness.Writes().Select(w => $"{w.Method} {w.Path}"));
    }

    private static JsonObject PodAnnotations(OperatorHarness harness, string workload) =>
        harness.Get("apps/v1", "Deployment", workload)!["spec"]!["template"]!["metadata"]!["annotations"]?.AsObject() ?? [];

    private static JsonNode EnvoyFilterConfig(JsonObject filter) =>
        filter["spec"]!["configPatches"]!.AsArray().Single(p => (string?)p!["applyTo"] == "HTTP_FILTER")!["patch"]!["value"]!["typed_config"]!["config"]!;

    private static JsonNode RemoteCode(JsonObject filter) => EnvoyFilterConfig(filter)["vm_config"]!["code"]!["remote"]!;

    // Exactly one EnvoyFilter per wanted (FilterDeployment, workload) pair and nothing else: no duplicate, no orphan.
    private static async Task AssertExactlyAsync(OperatorHarness harness, Dictionary<string, string[]> wanted)
    {
        var expected = wanted.SelectMany(w => w.Value.Select(workload => $"{workload}-{w.Key}.bookinfo")).Order(StringComparer.Ordinal);
        var actual = (await harness.EnvoyFiltersAsync()).Select(f => (string)f["metadata"]!["name"]!).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }
}
