using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Istio.Api;
using Wasme.Istio.Schema;
using Wasme.Istio.Validation;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Rendering;

/// <summary>A FilterDeployment read from a file, or every problem that stops it from being used.</summary>
public sealed record FilterDeploymentDocument(FilterDeployment? Deployment, IReadOnlyList<ValidationProblem> Problems);

/// <summary>Reads FilterDeployment manifests: YAML → schema check (the CRD's) → typed object → semantic checks, collecting every problem.</summary>
public static class FilterDeploymentReader
{
    public static IReadOnlyList<FilterDeploymentDocument> ReadAll(string yaml)
    {
        IReadOnlyList<JsonNode> documents;
        try
        {
            documents = YamlJson.ReadManifests(yaml);
        }
        catch (YamlFormatException e)
        {
            return [new(null, [new("(file)", null, "not valid YAML: " + e.Message, "fix the YAML syntax at that position")])];
        }

        if (documents.Count == 0)
        {
            return [new(null, [new("(file)", null, "the file has no FilterDeployment", "write a FilterDeployment manifest (apiVersion: wasme.io/v1, kind: FilterDeployment)")])];
        }

        return documents.Select(Read).ToList();
    }

    public static FilterDeploymentDocument Read(JsonNode manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest is not JsonObject)
        {
            return new(null, [new("(document)", null, $"the document is a {JsonShape.Describe(manifest)}, not a Kubernetes object", $"write a mapping with apiVersion: {FilterDeployment.GroupVersion}, kind: {FilterDeployment.KubeKind}, metadata and spec")]);
        }

        var kind = JsonShape.AsString(manifest["kind"]);
        var apiVersion = JsonShape.AsString(manifest["apiVersion"]);
        if (kind != FilterDeployment.KubeKind || apiVersion != FilterDeployment.GroupVersion)
        {
            return new(null, [new("kind", $"{apiVersion}/{kind}", "not a FilterDeployment", $"use apiVersion: {FilterDeployment.GroupVersion} and kind: {FilterDeployment.KubeKind}")]);
        }

        var problems = new List<ValidationProblem>(FilterDeploymentSchema.Validate(manifest));
        FilterDeployment? deployment = null;
        try
        {
            deployment = manifest.Deserialize(IstioJsonContext.Default.FilterDeployment);
        }
        catch (JsonException e) when (problems.Count > 0)
        {
            // The schema problems already say what is wrong; binding failed for the same reason.
            _ = e;
        }
        catch (JsonException e)
        {
            problems.Add(new(e.Path?.TrimStart('$', '.') ?? "(document)", null, e.Message, "fix the value's type"));
        }

        if (deployment is not null)
        {
            // Skip what the schema already reported, but never a second semantic problem at the same path
            // (a label whose key and value are both wrong).
            var schemaProblems = problems.ToList();
            problems.AddRange(FilterDeploymentValidator.Validate(deployment)
                .Where(problem => !schemaProblems.Any(p => p.Path == problem.Path || problem.Path.StartsWith(p.Path + ".", StringComparison.Ordinal))));
        }

        return new(problems.Count == 0 ? deployment : null, problems);
    }
}
