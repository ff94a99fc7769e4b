using System.Text.Json.Nodes;
using Wasme.Istio.Validation;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Schema;

/// <summary>The FilterDeployment CRD (deploy/crds/filterdeployments.wasme.io.yaml), embedded, and its schema.</summary>
public static class FilterDeploymentSchema
{
    public const string ResourceName = "filterdeployments.wasme.io.yaml";

    private static readonly Lazy<string> CrdText = new(() =>
    {
        using var stream = typeof(FilterDeploymentSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded CRD '{ResourceName}' is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static readonly Lazy<ManifestSchema> Schema = new(() =>
        ManifestSchema.FromCrd(YamlJson.ReadDocuments(CrdText.Value)[0], Api.FilterDeployment.Version));

    /// <summary>The CRD manifest, as shipped (for <c>kubectl apply</c> or an installer).</summary>
    public static string CrdYaml => CrdText.Value;

    /// <summary>Checks a FilterDeployment manifest the way the API server (with kubectl's strict field validation) would.</summary>
    public static IReadOnlyList<ValidationProblem> Validate(JsonNode manifest) => Schema.Value.Validate(manifest);
}
