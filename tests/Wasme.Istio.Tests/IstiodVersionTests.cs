using k8s.Models;
using Wasme.Istio.Versions;

namespace Wasme.Istio.Tests;

/// <summary>Reading the Istio release from the istiod Deployment, as platform teams pin its image.</summary>
public sealed class IstiodVersionTests
{
    private static V1Deployment Istiod(string image, string name = "istiod", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "istio-system", Labels = labels ?? new Dictionary<string, string> { ["app"] = "istiod" } },
        Spec = new V1DeploymentSpec
        {
            Selector = new V1LabelSelector(),
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "discovery", Image = image }] } },
        },
    };

    [Theory]
    [InlineData("docker.io/istio/pilot:1.20.3", 1, 20)]
    [InlineData("docker.io/istio/pilot:1.8.6-distroless", 1, 8)]
    [InlineData("registry.example.com:5000/istio/pilot:1.11.4", 1, 11)]
    [InlineData("registry.example.com:5000/istio/pilot:1.11.4@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1, 11)]
    [InlineData("gcr.io/istio-release/pilot:1.26.0@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", 1, 26)]
    public void The_version_is_the_tag_of_the_discovery_image_even_when_pinned_by_digest(string image, int major, int minor)
    {
        var (version, source) = IstiodVersion.Find([Istiod(image)], "istio-system", revision: null);

        Assert.Equal(new IstioVersion(major, minor), version);
        Assert.Contains(image, source, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_pinned_by_digest_alone_falls_back_to_the_recommended_version_label()
    {
        var labels = new Dictionary<string, string> { ["app"] = "istiod", ["app.kubernetes.io/version"] = "1.9.2" };
        var (version, _) = IstiodVersion.Find([Istiod("registry.example.com:5000/istio/pilot@sha256:" + new string('a', 64), labels: labels)], "istio-system", revision: null);

        Assert.Equal(new IstioVersion(1, 9), version);
    }

    [Fact]
    public void An_image_without_tag_or_label_gives_no_version_rather_than_a_guess()
    {
        var (version, source) = IstiodVersion.Find([Istiod("registry.example.com:5000/istio/pilot@sha256:" + new string('a', 64))], "istio-system", revision: null);

        Assert.Null(version);
        Assert.Contains("istio-system", source, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Revision(string revision) => new() { ["app"] = "istiod", ["istio.io/rev"] = revision };

    [Theory]
    [InlineData("prod")] // a revision tag (istioctl tag set prod --revision 1-26): no istiod Deployment carries it
    [InlineData(null)] // the default revision, set by tag, on an install whose every istiod has a revision
    public void A_revision_no_istiod_is_labelled_with_is_the_release_every_istiod_runs(string? revision)
    {
        var istiods = new[]
        {
            Istiod("docker.io/istio/pilot:1.26.2", "istiod-1-26", Revision("1-26")),
            Istiod("docker.io/istio/pilot:1.26.4", "istiod-1-26-4", Revision("1-26-4")),
        };

        var (version, source) = IstiodVersion.Find(istiods, "istio-system", revision);

        Assert.Equal(new IstioVersion(1, 26), version);
        Assert.Contains("every istiod in istio-system runs Istio 1.26", source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_revision_no_istiod_is_labelled_with_gives_no_version_while_the_istiods_differ()
    {
        var istiods = new[]
        {
            Istiod("docker.io/istio/pilot:1.25.1", "istiod-1-25", Revision("1-25")),
            Istiod("docker.io/istio/pilot:1.26.2", "istiod-1-26", Revision("1-26")),
        };

        var (version, source) = IstiodVersion.Find(istiods, "istio-system", "prod");

        Assert.Null(version);
        Assert.Contains("no istiod of revision prod", source, StringComparison.Ordinal);
        Assert.Contains("1-25, 1-26", source, StringComparison.Ordinal);
    }
}
