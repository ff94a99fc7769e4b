using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Istio.Api;
using Wasme.Istio.Rendering;
using Wasme.Istio.Translation;
using Wasme.Istio.Versions;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Tests;

/// <summary>
/// One folder per scenario under testassets/: filterdeployment.yaml, workloads.yaml, optional imagefacts.json and
/// options.json, and expected.yaml (what <c>wasme render</c> prints). WASME_UPDATE_GOLDEN=1 rewrites expected.yaml.
/// </summary>
public sealed class GoldenTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(RepositoryPaths.TestAssets).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Fact]
    public void The_golden_cases_cover_the_oldest_release_every_feature_gate_and_the_newest()
    {
        var covered = Directory.GetDirectories(RepositoryPaths.TestAssets).Select(d => GoldenCase.Load(Path.GetFileName(d)).Options.IstioVersion).ToHashSet();
        IstioVersion[] needed =
        [
            IstioCompatibility.Oldest, IstioCompatibility.TypedConfig, IstioCompatibility.FailOpen,
            IstioCompatibility.WasmPlugin, IstioCompatibility.FailReload, IstioVersion.Latest,
        ];

        var missing = needed.Where(v => !covered.Contains(v)).ToList();
        Assert.True(missing.Count == 0, $"no golden case renders for Istio {string.Join(", ", missing)}; add one under testassets/");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_matches_the_golden_file(string name)
    {
        var actual = GoldenCase.Load(name).RenderYaml();
        var expectedPath = Path.Combine(RepositoryPaths.TestAssets, name, "expected.yaml");
        if (Environment.GetEnvironmentVariable("WASME_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(expectedPath, actual);
        }

        Assert.True(File.Exists(expectedPath), $"{expectedPath} is missing; run with WASME_UPDATE_GOLDEN=1 to create it, then review it");
        Assert.Equal(File.ReadAllText(expectedPath), actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_twice_is_byte_identical(string name)
    {
        var golden = GoldenCase.Load(name);
        Assert.Equal(golden.RenderYaml(), GoldenCase.Load(name).RenderYaml());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_render_batch_of_one_FilterDeployment_prints_the_golden_file(string name)
    {
        var golden = GoldenCase.Load(name);
        var batch = new RenderBatch(golden.Workloads);

        var result = batch.Add(golden.Deployment, golden.Facts, golden.Options);

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.TestAssets, name, "expected.yaml")), YamlJson.Write(batch.Render()));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_generated_resource_is_valid_for_Istio_own_CRD_schema(string name)
    {
        var result = GoldenCase.Load(name).Translate();
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.NotEmpty(result.Resources);
        foreach (var resource in result.Resources)
        {
            var problems = IstioSchemas.For(resource.ApiVersion, resource.Kind).Validate(resource.Manifest);
            Assert.True(problems.Count == 0, $"{resource.Kind} {resource.Name}: {string.Join("; ", problems)}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_golden_input_is_valid_for_the_FilterDeployment_CRD(string name)
    {
        var documents = FilterDeploymentReader.ReadAll(File.ReadAllText(Path.Combine(RepositoryPaths.TestAssets, name, "filterdeployment.yaml")));
        var document = Assert.Single(documents);
        Assert.Empty(document.Problems);
    }
}

/// <summary>One scenario folder, loaded.</summary>
internal sealed record GoldenCase(FilterDeployment Deployment, IReadOnlyList<WorkloadDocument> Workloads, ImageFacts Facts, TranslationOptions Options)
{
    public static ImageFacts DefaultFacts { get; } = new(
        "webassemblyhub.io/ceposta/demo-add-header",
        "sha256:8a3b2f1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
        "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267",
        ["v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f", "v0-4689a30309abf31aee9ae36e73d34b1bb182685f", "0.2.1"],
        ["add_header"]);

    public static GoldenCase Load(string name)
    {
        var dir = Path.Combine(RepositoryPaths.TestAssets, name);
        var document = Assert.Single(FilterDeploymentReader.ReadAll(File.ReadAllText(Path.Combine(dir, "filterdeployment.yaml"))));
        Assert.True(document.Deployment is not null, string.Join("\n", document.Problems));
        var workloadsPath = Path.Combine(dir, "workloads.yaml");
        var workloads = File.Exists(workloadsPath) ? WorkloadReader.ReadAll(File.ReadAllText(workloadsPath)) : [];
        var factsPath = Path.Combine(dir, "imagefacts.json");
        var facts = File.Exists(factsPath)
            ? JsonSerializer.Deserialize(File.ReadAllText(factsPath), IstioJsonContext.Default.ImageFacts)!
            : DefaultFacts;
        var options = new TranslationOptions();
        var optionsPath = Path.Combine(dir, "options.json");
        if (File.Exists(optionsPath))
        {
            var json = JsonNode.Parse(File.ReadAllText(optionsPath))!;
            Assert.True(IstioVersion.TryParse(json["istioVersion"]?.GetValue<string>(), out var version));
            options = options with { IstioVersion = version, IgnoreVersionCheck = json["ignoreVersionCheck"]?.GetValue<bool>() ?? false };
        }

        return new GoldenCase(document.Deployment, workloads, facts, options);
    }

    public TranslationResult Translate() =>
        FilterDeploymentTranslator.Translate(Deployment, Facts, Workloads.Select(w => w.Workload), Options);

    public string RenderYaml()
    {
        var result = Translate();
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        return ManifestRenderer.RenderYaml(result, Workloads);
    }
}
