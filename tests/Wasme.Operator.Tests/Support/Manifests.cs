using System.Text.Json.Nodes;

namespace Wasme.Operator.Tests.Support;

/// <summary>The objects the tests create, as JSON (which is YAML too, for kubectl and the test server).</summary>
internal static class Manifests
{
    public static JsonObject Workload(string name, string app, string version = "v1", IDictionary<string, string>? podAnnotations = null, string kind = "Deployment")
    {
        var template = new JsonObject { ["labels"] = new JsonObject { ["app"] = app, ["version"] = version } };
        if (podAnnotations is not null)
        {
            template["annotations"] = new JsonObject(podAnnotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        }

        var spec = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app, ["version"] = version } },
            ["template"] = new JsonObject
            {
                ["metadata"] = template,
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = app, ["image"] = $"docker.io/istio/examples-bookinfo-{app}-{version}:1.16.2" }),
                },
            },
        };
        if (kind == "StatefulSet")
        {
            spec["serviceName"] = name;
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = OperatorHarness.Namespace,
                ["labels"] = new JsonObject { ["app"] = app, ["version"] = version },
            },
            ["spec"] = spec,
        };
    }

    /// <summary>
    /// The seed's FilterDeployment as the translation tests keep it (YAML, for kubectl), pointed at <paramref name="image"/>
    /// with <paramref name="delivery"/>. WasmPlugin gets the config as a JSON object: Istio passes pluginConfig as JSON,
    /// so the seed's plain string cannot reach a filter that way.
    /// </summary>
    public static string SeedFilterDeployment(string image, string delivery)
    {
        var yaml = File.ReadAllText(RepositoryFiles.Path("tests", "Wasme.Istio.Tests", "testassets", "seed-filterdeployment-remote", "filterdeployment.yaml"));
        yaml = Replace(yaml, "image: webassemblyhub.io/ceposta/demo-add-header:v0.2", $"image: {image}");
        yaml = Replace(yaml, "      kind: Deployment\n", $"      kind: Deployment\n      delivery: {delivery}\n");
        return delivery == "WasmPlugin" ? Replace(yaml, "config: 'world'", "config: {greeting: world}") : yaml;
    }

    private static string Replace(string text, string old, string replacement) =>
        text.Contains(old, StringComparison.Ordinal) ? text.Replace(old, replacement, StringComparison.Ordinal) : throw new InvalidOperationException($"the seed manifest no longer contains '{old}'");

    /// <summary>The seed's FilterDeployment (structure restored), pointed at an image in the test registry.</summary>
    public static JsonObject FilterDeployment(
        string name,
        string image,
        JsonNode? config = null,
        string app = "details",
        string delivery = "Remote",
        string? pullSecret = null,
        string kind = "Deployment",
        bool plainHttp = true)
    {
        var pull = new JsonObject();
        if (plainHttp)
        {
            pull["plainHttp"] = true;
        }

        if (pullSecret is not null)
        {
            pull["pullSecret"] = pullSecret;
        }

        return new JsonObject
        {
            ["apiVersion"] = "wasme.io/v1",
            ["kind"] = "FilterDeployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = OperatorHarness.Namespace },
            ["spec"] = new JsonObject
            {
                ["deployment"] = new JsonObject
                {
                    ["istio"] = new JsonObject
                    {
                        ["kind"] = kind,
                        ["delivery"] = delivery,
                        ["labels"] = new JsonObject { ["app"] = app },
                    },
                },
                ["filter"] = new JsonObject
                {
                    ["config"] = config ?? "world",
                    ["image"] = image,
                    ["imagePullOptions"] = pull,
                },
            },
        };
    }
}
