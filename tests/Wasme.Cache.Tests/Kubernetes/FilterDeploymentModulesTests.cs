using System.Text.Json.Nodes;
using Wasme.Cache.Fetching;
using Wasme.Cache.Kubernetes;

namespace Wasme.Cache.Tests.Kubernetes;

public sealed class FilterDeploymentModulesTests
{
    private const string Module = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";
    private const string Manifest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private static JsonObject Resource(string? imageDigest = Manifest, string? moduleSha256 = Module, JsonObject? pullOptions = null) => new()
    {
        ["spec"] = new JsonObject
        {
            ["filter"] = new JsonObject
            {
                ["image"] = "webassemblyhub.io/ceposta/demo-add-header:v0.2",
                ["imagePullOptions"] = pullOptions,
            },
        },
        ["status"] = new JsonObject { ["imageDigest"] = imageDigest, ["moduleSha256"] = moduleSha256 },
    };

    [Fact]
    public void Reads_the_module_pinned_by_the_resolved_digest()
    {
        var wanted = FilterDeploymentModules.Read("bookinfo", Resource());

        Assert.Equal(new WantedModule(ModuleDigest.Parse(Module), $"webassemblyhub.io/ceposta/demo-add-header:v0.2@{Manifest}"), wanted);
    }

    [Fact]
    public void Carries_the_pull_secret_of_the_filterdeployment_namespace_and_transport_flags()
    {
        var wanted = FilterDeploymentModules.Read("bookinfo", Resource(pullOptions: new JsonObject { ["pullSecret"] = "hub", ["plainHttp"] = true }));

        Assert.Equal(new SecretReference("bookinfo", "hub"), wanted!.PullSecret);
        Assert.True(wanted.PlainHttp);
        Assert.False(wanted.InsecureSkipVerify);
    }

    [Theory]
    [InlineData(null, Module)]
    [InlineData(Manifest, null)]
    [InlineData("latest", Module)]
    [InlineData(Manifest, "../../etc/passwd")]
    public void Not_yet_resolved_or_malformed_status_wants_nothing(string? imageDigest, string? moduleSha256)
    {
        Assert.Null(FilterDeploymentModules.Read("bookinfo", Resource(imageDigest, moduleSha256)));
    }
}
