using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Http;

/// <summary>
/// Just enough OpenAPI v3 for kubectl: per group version, the PATCH operation of each kind with its
/// <c>x-kubernetes-group-version-kind</c> and the <c>fieldValidation</c> query parameter. kubectl reads it to decide
/// that the server validates fields itself (it then sends <c>fieldValidation=Strict</c> and skips client-side validation).
/// Custom resources' schemas are published (for <c>kubectl explain</c>); built-in kinds' are not, so kubectl falls back
/// to its compiled-in types for strategic merge patches.
/// </summary>
internal static class OpenApi
{
    public static JsonObject Root(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var (group, versions) in registry.Groups())
        {
            foreach (var version in versions)
            {
                var key = GroupVersionPath(group, version);
                paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={Hash(registry, group, version)}" };
            }
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? GroupVersion(ResourceRegistry registry, string group, string version)
    {
        var resources = registry.All.Where(r => r.Group == group && r.Version == version).ToList();
        if (resources.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        foreach (var resource in resources)
        {
            var prefix = "/" + GroupVersionPath(group, version) + (resource.Namespaced ? "/namespaces/{namespace}" : "");
            paths[$"{prefix}/{resource.Plural}/{{name}}"] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{resource.Kind}",
                    ["parameters"] = new JsonArray(
                        Parameter("dryRun"),
                        Parameter("fieldManager"),
                        Parameter("fieldValidation"),
                        Parameter("force")),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject
                    {
                        ["group"] = group,
                        ["version"] = version,
                        ["kind"] = resource.Kind,
                    },
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = CustomSchemas(resources) },
        };
    }

    /// <summary>
    /// The schema of each custom resource, named and tagged as apiextensions-apiserver publishes it
    /// (<c>io.wasme.v1.FilterDeployment</c> with <c>x-kubernetes-group-version-kind</c>): what <c>kubectl explain</c> reads.
    /// </summary>
    private static JsonObject CustomSchemas(IEnumerable<ResourceType> resources)
    {
        var schemas = new JsonObject();
        foreach (var resource in resources.Where(r => r.IsCustom && r.Schema is not null))
        {
            var schema = (JsonObject)resource.Schema!.Root.DeepClone();
            var properties = schema["properties"] as JsonObject ?? [];
            schema["properties"] = properties;
            properties["apiVersion"] ??= new JsonObject { ["type"] = "string" };
            properties["kind"] ??= new JsonObject { ["type"] = "string" };
            properties["metadata"] ??= new JsonObject { ["type"] = "object" };
            schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject
            {
                ["group"] = resource.Group,
                ["version"] = resource.Version,
                ["kind"] = resource.Kind,
            });
            schemas[RestFriendlyName(resource.Group, resource.Version, resource.Kind)] = schema;
        }

        return schemas;
    }

    /// <summary>kube-openapi's definition name: the group reversed (<c>wasme.io</c> becomes <c>io.wasme</c>), then version and kind.</summary>
    private static string RestFriendlyName(string group, string version, string kind) =>
        $"{string.Join('.', group.Split('.').Reverse())}.{version}.{kind}";

    private static JsonObject Parameter(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static string GroupVersionPath(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    private static string Hash(ResourceRegistry registry, string group, string version)
    {
        var text = string.Join(",", registry.All.Where(r => r.Group == group && r.Version == version).Select(r => $"{r.Plural}:{r.Kind}"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
