using Wasme.Istio.Translation;

namespace Wasme.Istio.Tests;

/// <summary>Issue 14.4: a generated name the API server would refuse on every write is a translation problem with a fix.</summary>
public sealed class GeneratedNameTests
{
    [Fact]
    public void A_generated_name_over_253_characters_is_refused_with_the_longest_id_that_fits()
    {
        var golden = GoldenCase.Load("seed-filterdeployment-remote");
        var longName = new string('d', 240);
        var workloads = golden.Workloads.Select(w => w.Workload with { Name = longName });

        var result = FilterDeploymentTranslator.Translate(golden.Deployment, golden.Facts, workloads, golden.Options);

        Assert.False(result.Succeeded);
        var problem = Assert.Single(result.Problems.DistinctBy(p => p.Reason));
        Assert.Equal("spec.filter.id", problem.Path);
        Assert.Contains("Kubernetes allows at most 253", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("at most 12 characters", problem.Fix, StringComparison.Ordinal);
        Assert.Empty(result.Resources);
    }
}
