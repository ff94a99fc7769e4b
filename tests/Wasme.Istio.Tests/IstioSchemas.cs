using System.Text.Json.Nodes;
using Wasme.Istio.Schema;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Tests;

/// <summary>Istio's EnvoyFilter and WasmPlugin schemas, loaded once from Istio's own CRD file.</summary>
internal static class IstioSchemas
{
    private static readonly Lazy<Dictionary<string, ManifestSchema>> Schemas = new(Load);

    /// <summary>The schema for an apiVersion/kind, e.g. <c>networking.istio.io/v1alpha3</c>, <c>EnvoyFilter</c>.</summary>
    public static ManifestSchema For(string apiVersion, string kind) => Schemas.Value[$"{apiVersion}/{kind}"];

    private static Dictionary<string, ManifestSchema> Load()
    {
        var result = new Dictionary<string, ManifestSchema>(StringComparer.Ordinal);
        foreach (var crd in YamlJson.ReadDocuments(File.ReadAllText(RepositoryPaths.IstioCrds)))
        {
            var group = crd["spec"]?["group"]?.GetValue<string>();
            var kind = crd["spec"]?["names"]?["kind"]?.GetValue<string>();
            if (kind is not ("EnvoyFilter" or "WasmPlugin"))
            {
                continue;
            }

            foreach (var version in (crd["spec"]!["versions"] as JsonArray)!.OfType<JsonObject>())
            {
                var name = version["name"]!.GetValue<string>();
                result[$"{group}/{name}/{kind}"] = ManifestSchema.FromCrd(crd, name);
            }
        }

        return result;
    }
}
