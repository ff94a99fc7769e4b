using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Images;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// A registry outage while nothing changed: the applied digest stays applied and served, so the FilterDeployment stays
/// Ready and says the registry is unreachable in ImageResolved (issue 14, point 9), in words that point at the spec.
/// </summary>
public sealed class RegistryOutageTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public RegistryOutageTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task An_outage_with_the_digest_unchanged_keeps_Ready_and_warns_in_ImageResolved_until_the_registry_is_back()
    {
        var image = await _registry.PushAsync("outage/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        var registry = new OutageSwitch(new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System));
        harness.StartOperator(
            new FilterDeploymentOperatorOptions { Reconciler = new FilterDeploymentReconcilerOptions { ImageRefreshInterval = TimeSpan.FromMilliseconds(100) } },
            registry);
        harness.Apply(Manifests.FilterDeployment("f", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("f"), "f is Ready");
        var readySince = (string?)harness.Condition("f", "Ready")!["lastTransitionTime"];

        registry.Down = true;

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "ImageResolved")?["reason"] == "RegistryUnavailable", "ImageResolved reports the outage");
        var resolved = harness.Condition("f", "ImageResolved")!;
        Assert.Equal("False", (string?)resolved["status"]);
        var message = (string)resolved["message"]!;
        Assert.Contains("spec.filter.imagePullOptions.plainHttp", message, StringComparison.Ordinal);
        Assert.Contains($"{image.ManifestDigest} stays applied", message, StringComparison.Ordinal);
        Assert.DoesNotContain("--plain-http", message, StringComparison.Ordinal);
        Assert.True(harness.IsReady("f"), "an outage with nothing changed is not 'not ready'");
        Assert.Equal(readySince, (string?)harness.Condition("f", "Ready")!["lastTransitionTime"]);
        Assert.Equal("True", (string?)harness.Condition("f", "Applied")!["status"]);
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("f")).Any(e => (string?)e["reason"] == "RegistryUnavailable" && (string?)e["type"] == "Warning"),
            "a Warning event tells of the outage");
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains("bookinfo/f", StringComparison.Ordinal) && l.Contains("   at ", StringComparison.Ordinal));

        registry.Down = false;

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "ImageResolved")?["status"] == "True", "ImageResolved recovers");
        Assert.True(harness.IsReady("f"));
    }

    [Fact]
    public async Task A_config_edit_during_an_outage_is_applied_with_the_digest_already_applied()
    {
        var image = await _registry.PushAsync("outage/edit:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        var registry = new OutageSwitch(new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System));
        harness.StartOperator(new FilterDeploymentOperatorOptions { BackoffMax = TimeSpan.FromMilliseconds(200) }, registry);
        harness.Apply(Manifests.FilterDeployment("f", image.Reference, config: "before-the-outage"));
        await harness.EventuallyAsync(() => harness.IsReady("f"), "f is Ready");

        registry.Down = true;
        // The urgent edit a platform team makes while the registry is down (a config fix, a switch to FailOpen); the image stays.
        await harness.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"filter":{"config":"during-the-outage"}}}""", V1Patch.PatchType.MergePatch),
            "wasme.io", "v1", OperatorHarness.Namespace, "filterdeployments", "f");

        await harness.EventuallyAsync(
            () => harness.EnvoyFilter("details-v1-f.bookinfo")?.ToJsonString().Contains("during-the-outage", StringComparison.Ordinal) == true,
            "the new config reaches the EnvoyFilter");
        Assert.Equal(image.ModuleSha256, (string?)harness.EnvoyFilter("details-v1-f.bookinfo")!["metadata"]!["annotations"]!["wasme.io/module-sha256"]);
        await harness.EventuallyAsync(() => harness.IsReady("f") && (long?)harness.Condition("f", "Ready")?["observedGeneration"] == 2, "f is Ready for the edit");
        var resolved = harness.Condition("f", "ImageResolved")!;
        Assert.Equal("RegistryUnavailable", (string?)resolved["reason"]);
        Assert.Contains($"{image.ManifestDigest} stays applied", (string)resolved["message"]!, StringComparison.Ordinal);

        registry.Down = false;

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "ImageResolved")?["status"] == "True", "ImageResolved recovers without another edit");
    }

    [Fact]
    public async Task An_outage_before_anything_was_applied_is_not_ready_and_points_at_the_spec()
    {
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();

        // Nothing listens on port 1: the registry client's own "cannot reach" error.
        harness.Apply(Manifests.FilterDeployment("f", "127.0.0.1:1/outage/filter:v1"));

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "Ready")?["reason"] == "RegistryUnavailable", "f says the registry is unreachable");
        var message = (string)harness.Condition("f", "Ready")!["message"]!;
        Assert.Contains("spec.filter.imagePullOptions", message, StringComparison.Ordinal);
        Assert.DoesNotContain("--plain-http", message, StringComparison.Ordinal);
        Assert.DoesNotContain("wasme login", message, StringComparison.Ordinal);
        Assert.Equal("False", (string?)harness.Condition("f", "Ready")!["status"]);
    }

    /// <summary>The real resolver, sent to a closed port while <see cref="Down"/>: the registry client's own outage error.</summary>
    private sealed class OutageSwitch(IImageResolver inner) : IImageResolver
    {
        public volatile bool Down;

        public Task<Wasme.Istio.Translation.ImageFacts> ResolveAsync(ImageRequest request, CancellationToken cancellationToken)
        {
            if (!Down)
            {
                return inner.ResolveAsync(request, cancellationToken);
            }

            var slash = request.Image.IndexOf('/', StringComparison.Ordinal);
            return inner.ResolveAsync(request with { Image = $"127.0.0.1:1{request.Image[slash..]}" }, cancellationToken);
        }
    }
}
