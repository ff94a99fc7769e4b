using System.Text.Json.Nodes;
using k8s;
using Wasme.Cache.Fetching;
using Wasme.Cache.Kubernetes;
using Wasme.Istio.Api;

namespace Wasme.Cache.Tests.Kubernetes;

public sealed class FilterDeploymentModulesTests
{
    private const string Module = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";
    private const string NewModule = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Manifest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string NewManifest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string Repository = "webassemblyhub.io/ceposta/demo-add-header";

    /// <summary>A FilterDeployment in namespace bookinfo, read from its wire form as the informer does.</summary>
    private static FilterDeployment Resource(JsonObject status, string image = $"{Repository}:v0.2", JsonObject? pullOptions = null) =>
        KubernetesJson.Deserialize<FilterDeployment>(new JsonObject
        {
            ["apiVersion"] = "wasme.io/v1",
            ["kind"] = "FilterDeployment",
            ["metadata"] = new JsonObject { ["name"] = "f", ["namespace"] = "bookinfo" },
            ["spec"] = new JsonObject
            {
                ["filter"] = new JsonObject { ["image"] = image, ["imagePullOptions"] = pullOptions },
            },
            ["status"] = status,
        }.ToJsonString());

    private static JsonObject Applied(string manifest = Manifest, string module = Module) => new()
    {
        ["imageDigest"] = manifest,
        ["moduleSha256"] = module,
        ["resolvedImage"] = $"{Repository}@{manifest}",
        ["appliedImage"] = $"{Repository}@{manifest}",
        ["appliedModuleSha256"] = module,
    };

    [Fact]
    public void Wants_the_applied_module_from_the_pinned_image_it_was_applied_from()
    {
        var wanted = FilterDeploymentModules.Read(Resource(Applied()));

        Assert.Equal([new WantedModule(ModuleDigest.Parse(Module), $"{Repository}@{Manifest}")], wanted);
    }

    [Fact]
    public void After_a_failed_image_change_the_new_spec_repository_is_never_paired_with_the_applied_digest()
    {
        // The operator keeps the last resolved and applied images; only the spec names the new repository.
        var wanted = FilterDeploymentModules.Read(Resource(Applied(), image: "webassemblyhub.io/ceposta/renamed:v2"));

        var module = Assert.Single(wanted);
        Assert.Equal($"{Repository}@{Manifest}", module.Image);
    }

    [Fact]
    public void A_resolved_image_not_yet_applied_is_wanted_besides_the_applied_one()
    {
        var status = Applied();
        status["imageDigest"] = NewManifest;
        status["moduleSha256"] = NewModule;
        status["resolvedImage"] = $"{Repository}@{NewManifest}";

        var wanted = FilterDeploymentModules.Read(Resource(status));

        Assert.Equal(
            [new WantedModule(ModuleDigest.Parse(Module), $"{Repository}@{Manifest}"), new WantedModule(ModuleDigest.Parse(NewModule), $"{Repository}@{NewManifest}")],
            wanted);
    }

    [Fact]
    public void A_status_from_an_older_operator_pairs_the_spec_repository_with_the_resolved_digest()
    {
        var wanted = FilterDeploymentModules.Read(Resource(new JsonObject { ["imageDigest"] = Manifest, ["moduleSha256"] = Module }));

        Assert.Equal([new WantedModule(ModuleDigest.Parse(Module), $"{Repository}:v0.2@{Manifest}")], wanted);
    }

    [Fact]
    public void Carries_the_pull_secret_of_the_filterdeployment_namespace_and_transport_flags()
    {
        var wanted = Assert.Single(FilterDeploymentModules.Read(Resource(Applied(), pullOptions: new JsonObject { ["pullSecret"] = "hub", ["plainHttp"] = true })));

        Assert.Equal(new SecretReference("bookinfo", "hub"), wanted.PullSecret);
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
        Assert.Empty(FilterDeploymentModules.Read(Resource(new JsonObject { ["imageDigest"] = imageDigest, ["moduleSha256"] = moduleSha256 })));
        Assert.Empty(FilterDeploymentModules.Read(Resource(new JsonObject
        {
            ["appliedImage"] = imageDigest is null ? null : $"{Repository}@{imageDigest}",
            ["appliedModuleSha256"] = moduleSha256,
        })));
    }

    [Fact]
    public void An_enforced_verification_travels_with_every_wanted_module_and_Warn_or_none_fetches_unchecked()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var pem = Wasme.Signing.Keys.CosignKeys.ExportPublicKey(key);
        var status = Applied();
        status["moduleSha256"] = NewModule;
        status["resolvedImage"] = $"{Repository}@{NewManifest}";

        var enforced = FilterDeploymentModules.Read(WithVerification(Resource(status), new JsonObject { ["publicKeys"] = new JsonArray(pem) }));
        var warned = FilterDeploymentModules.Read(WithVerification(Resource((JsonObject)status.DeepClone()), new JsonObject { ["policy"] = "Warn", ["publicKeys"] = new JsonArray(pem) }));

        Assert.Equal(2, enforced.Count);
        Assert.All(enforced, w => Assert.Equal([pem], w.Verification?.Policy?.PublicKeys));
        Assert.All(warned, w => Assert.Null(w.Verification));
    }

    [Fact]
    public void A_policy_the_cache_cannot_use_is_carried_as_its_problem_so_nothing_is_fetched()
    {
        var keyless = new JsonObject { ["identities"] = new JsonArray(new JsonObject { ["issuer"] = "https://issuer.example", ["subject"] = "ci@example.com" }) };

        var wanted = Assert.Single(FilterDeploymentModules.Read(WithVerification(Resource(Applied()), keyless)));

        Assert.Null(wanted.Verification!.Policy);
        Assert.Contains("--sigstore-trusted-root", wanted.Verification.Problem, StringComparison.Ordinal);
    }

    private static FilterDeployment WithVerification(FilterDeployment deployment, JsonObject verification)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(KubernetesJson.Serialize(deployment))!.AsObject();
        json["spec"]!["filter"]!["verification"] = verification;
        return KubernetesJson.Deserialize<FilterDeployment>(json.ToJsonString());
    }
}
