using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Selectors;

namespace Wasme.Testing.Kubernetes.Tests.Selectors;

public sealed class SelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front", ["example.com/team"] = "a" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web,tier=front", true)]
    [InlineData("app!=web", false)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (api, web)", true)]
    [InlineData("app notin (api,web)", false)]
    [InlineData("example.com/team", true)]
    [InlineData("!example.com/team", false)]
    [InlineData("!missing,app", true)]
    [InlineData("tier in (back)", false)]
    public void LabelSelector_MatchesLikeKubernetes(string selector, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels));

    [Fact]
    public void LabelSelector_RejectsMalformedSets()
    {
        var error = Assert.Throws<ApiException>(() => LabelSelector.Parse("app in web"));
        Assert.Equal(400, error.Code);
    }

    [Theory]
    [InlineData("metadata.name=a", true)]
    [InlineData("metadata.name==a,metadata.namespace=ns", true)]
    [InlineData("metadata.namespace!=ns", false)]
    [InlineData("status.phase=Running", true)]
    [InlineData("spec.missing=", true)]
    public void FieldSelector_MatchesDottedPaths(string selector, bool matches)
    {
        var obj = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"a","namespace":"ns"},"status":{"phase":"Running"}}""")!;

        Assert.Equal(matches, FieldSelector.Parse(selector).Matches(obj));
    }
}
