using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>Issue 14.4: a generated name the API server refuses on every write reaches status and Events with its fix.</summary>
public sealed class GeneratedNameTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const string FilterName = "bookinfo-custom-filter";

    [Fact]
    public async Task A_generated_name_over_253_characters_is_InvalidConfiguration_with_an_Event_naming_the_fix()
    {
        var image = await registry.PushAsync("names/too-long:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload(new string('d', 240), "details"));
        harness.StartOperator();

        harness.Apply(Manifests.FilterDeployment(FilterName, image.Reference));

        await harness.EventuallyAsync(() => harness.Condition(FilterName, "Ready") is not null, "the FilterDeployment has a Ready condition");
        var ready = harness.Condition(FilterName, "Ready")!;
        Assert.Equal("False", (string?)ready["status"]);
        Assert.Equal("InvalidConfiguration", (string?)ready["reason"]);
        Assert.Contains("Kubernetes allows at most 253", (string?)ready["message"], StringComparison.Ordinal);
        Assert.Contains("at most 12 characters", (string?)ready["message"], StringComparison.Ordinal);
        Assert.Empty(await harness.EnvoyFiltersAsync());
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync(FilterName)).Any(e => ((string?)e["message"])?.Contains("at most 253", StringComparison.Ordinal) == true),
            "an Event says why and how to fix it");
    }
}
