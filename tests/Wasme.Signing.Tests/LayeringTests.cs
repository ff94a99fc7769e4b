using Wasme.Signing.Verification;

namespace Wasme.Signing.Tests;

public sealed class LayeringTests
{
    [Fact]
    public void Signing_knows_no_cluster_operator_or_cache()
    {
        var references = typeof(ImageVerifier).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("Wasme.Oci", references);
        Assert.DoesNotContain(references, name => name is "KubernetesClient" or "Wasme.Operator" or "Wasme.Istio" or "Wasme.Cache" or "Wasme.Cli");
    }
}
