using System.Text.Json.Nodes;
using Wasme.Cache.Fetching;
using Wasme.Oci.References;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// What module a FilterDeployment wants on the nodes, read from the fields the operator maintains:
/// <c>spec.filter.image</c> (repository), <c>status.imageDigest</c> (resolved manifest digest),
/// <c>status.moduleSha256</c>, and <c>spec.filter.imagePullOptions</c>. Pure.
/// </summary>
public static class FilterDeploymentModules
{
    /// <summary>The wanted module, or null while the operator has not resolved the image yet.</summary>
    public static WantedModule? Read(string namespaceName, JsonObject? content)
    {
        var filter = content?["spec"]?["filter"];
        var status = content?["status"];
        var image = Text(filter?["image"]);
        var imageDigest = Text(status?["imageDigest"]);
        var moduleSha256 = Text(status?["moduleSha256"]);
        if (image is null
            || !ModuleDigest.TryParse(moduleSha256, out var module)
            || !Digest.TryParse(imageDigest, out var digest)
            || !ImageReference.TryParse(image, out var reference))
        {
            return null;
        }

        var pull = filter?["imagePullOptions"];
        var secret = Text(pull?["pullSecret"]);
        return new WantedModule(
            module,
            reference.WithDigest(digest).ToString(),
            string.IsNullOrEmpty(secret) ? null : new SecretReference(namespaceName, secret),
            PlainHttp: Flag(pull?["plainHttp"]),
            InsecureSkipVerify: Flag(pull?["insecureSkipVerify"]));
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool Flag(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}
