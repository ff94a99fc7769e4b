using Wasme.Istio.Translation;
using Wasme.Istio.Validation;

namespace Wasme.Istio.Tests;

public sealed class SidecarVolumeAnnotationsTests
{
    private static readonly Dictionary<string, string> UserAnnotations = new()
    {
        ["sidecar.istio.io/userVolume"] = """[{"name":"certs","secret":{"secretName":"c"}}]""",
        ["sidecar.istio.io/userVolumeMount"] = """[ {"name":"certs", "mountPath":"/etc/certs"} ]""",
        ["prometheus.io/scrape"] = "true",
    };

    private static SortedDictionary<string, string> Deploy(IReadOnlyDictionary<string, string> annotations, string id)
    {
        var problems = new List<ValidationProblem>();
        var changes = SidecarVolumeAnnotations.Add(annotations, id, problems);
        Assert.Empty(problems);
        return changes.ApplyTo(annotations);
    }

    [Fact]
    public void Undeploy_restores_the_user_annotations_byte_for_byte()
    {
        var deployed = Deploy(UserAnnotations, "a");
        Assert.Contains("wasme-cache", deployed["sidecar.istio.io/userVolume"], StringComparison.Ordinal);
        Assert.Contains("certs", deployed["sidecar.istio.io/userVolume"], StringComparison.Ordinal);

        var restored = SidecarVolumeAnnotations.Remove(deployed, "a").ApplyTo(deployed);
        Assert.Equal(UserAnnotations.OrderBy(a => a.Key), restored);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Undeploy_keeps_what_the_user_added_meanwhile_and_takes_out_only_the_cache_volume(bool userHadVolumes)
    {
        var deployed = Deploy(userHadVolumes ? UserAnnotations : new Dictionary<string, string>(), "a");
        var volumes = System.Text.Json.Nodes.JsonNode.Parse(deployed["sidecar.istio.io/userVolume"])!.AsArray();
        volumes.Add(System.Text.Json.Nodes.JsonNode.Parse("""{"name":"extra","emptyDir":{}}"""));
        deployed["sidecar.istio.io/userVolume"] = volumes.ToJsonString();

        var removed = SidecarVolumeAnnotations.Remove(deployed, "a").ApplyTo(deployed);

        var expected = userHadVolumes
            ? """[{"name":"certs","secret":{"secretName":"c"}},{"name":"extra","emptyDir":{}}]"""
            : """[{"name":"extra","emptyDir":{}}]""";
        Assert.Equal(expected, removed["sidecar.istio.io/userVolume"]);
        Assert.Equal(userHadVolumes ? UserAnnotations["sidecar.istio.io/userVolumeMount"] : null, removed.GetValueOrDefault("sidecar.istio.io/userVolumeMount"));
        Assert.DoesNotContain(removed.Keys, k => k.StartsWith("wasme", StringComparison.Ordinal));
    }

    [Fact]
    public void Applying_twice_changes_nothing_the_second_time_and_keeps_the_backup()
    {
        var once = Deploy(UserAnnotations, "a");
        Assert.True(SidecarVolumeAnnotations.Add(once, "a", []).IsEmpty);
        var twice = Deploy(once, "a");
        Assert.Equal(UserAnnotations["sidecar.istio.io/userVolume"], twice["wasme-backup.sidecar.istio.io/userVolume"]);
    }

    [Fact]
    public void The_volume_stays_while_another_filter_needs_it()
    {
        var both = Deploy(Deploy(UserAnnotations, "a"), "b");
        var onlyB = SidecarVolumeAnnotations.Remove(both, "a").ApplyTo(both);
        Assert.Contains("wasme-cache", onlyB["sidecar.istio.io/userVolume"], StringComparison.Ordinal);
        Assert.Equal("b", onlyB["wasme.io/hostpath-filters"]);

        var none = SidecarVolumeAnnotations.Remove(onlyB, "b").ApplyTo(onlyB);
        Assert.Equal(UserAnnotations.OrderBy(a => a.Key), none);
    }

    [Fact]
    public void A_workload_without_annotations_gets_them_removed_again()
    {
        var empty = new Dictionary<string, string>();
        var deployed = Deploy(empty, "a");
        Assert.Equal(3, deployed.Count);
        Assert.Empty(SidecarVolumeAnnotations.Remove(deployed, "a").ApplyTo(deployed));
    }

    [Fact]
    public void Removing_a_filter_that_was_never_added_changes_nothing() =>
        Assert.True(SidecarVolumeAnnotations.Remove(UserAnnotations, "a").IsEmpty);

    [Fact]
    public void The_map_form_of_userVolume_is_merged_by_key()
    {
        var annotations = new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = """{"certs":{"secret":{"secretName":"c"}}}""" };
        var deployed = Deploy(annotations, "a");
        Assert.Equal("""{"certs":{"secret":{"secretName":"c"}},"wasme-cache":{"hostPath":{"path":"/var/local/lib/wasme-cache"}}}""", deployed["sidecar.istio.io/userVolume"]);
    }

    [Fact]
    public void A_malformed_existing_annotation_is_a_problem_not_overwritten()
    {
        var problems = new List<ValidationProblem>();
        var changes = SidecarVolumeAnnotations.Add(new Dictionary<string, string> { ["sidecar.istio.io/userVolume"] = "not json" }, "a", problems);
        var problem = Assert.Single(problems);
        Assert.Contains("userVolume", problem.Path, StringComparison.Ordinal);
        Assert.False(changes.Set.ContainsKey("sidecar.istio.io/userVolume"));
    }
}
