using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Http;

/// <summary>The legacy discovery documents (<c>/api</c>, <c>/apis</c>, <c>/apis/g/v</c>) kubectl and clients read.</summary>
internal static class Discovery
{
    public static JsonObject Version(string gitVersion)
    {
        var parts = gitVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = parts[0],
            ["minor"] = parts.Length > 1 ? parts[1] : "0",
            ["gitVersion"] = gitVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.23.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
        {
            ["clientCIDR"] = "0.0.0.0/0",
            ["serverAddress"] = serverAddress,
        }),
    };

    public static JsonObject Groups(ResourceRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(registry.Groups()
            .Where(g => g.Group.Length > 0)
            .Select(g => (JsonNode)Group(g.Group, g.Versions))
            .ToArray()),
    };

    public static JsonObject Group(string group, IReadOnlyList<string> versions)
    {
        JsonObject Version(string v) => new() { ["groupVersion"] = $"{group}/{v}", ["version"] = v };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)Version(v)).ToArray()),
            ["preferredVersion"] = Version(versions[0]),
        };
    }

    public static JsonObject Resources(string groupVersion, IEnumerable<ResourceType> resources)
    {
        var list = new JsonArray();
        foreach (var resource in resources)
        {
            list.Add(new JsonObject
            {
                ["name"] = resource.Plural,
                ["singularName"] = resource.Singular,
                ["namespaced"] = resource.Namespaced,
                ["kind"] = resource.Kind,
                ["verbs"] = Strings(resource.Verbs),
                ["shortNames"] = resource.ShortNames.Count > 0 ? Strings(resource.ShortNames) : null,
                ["categories"] = resource.Categories.Count > 0 ? Strings(resource.Categories) : null,
            });
            if (resource.HasStatusSubresource)
            {
                list.Add(new JsonObject
                {
                    ["name"] = resource.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = resource.Namespaced,
                    ["kind"] = resource.Kind,
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
            }

            foreach (var sub in resource.Subresources)
            {
                list.Add(new JsonObject
                {
                    ["name"] = $"{resource.Plural}/{sub.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = resource.Namespaced,
                    ["group"] = sub.Group.Length > 0 ? sub.Group : null,
                    ["version"] = sub.Version.Length > 0 ? sub.Version : null,
                    ["kind"] = sub.Kind,
                    ["verbs"] = Strings(sub.Verbs),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = groupVersion,
            ["resources"] = list,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
