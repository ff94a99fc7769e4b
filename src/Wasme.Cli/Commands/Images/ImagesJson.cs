using System.Text.Json.Serialization;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Images;

/// <summary>
/// One row of <c>wasme list --output json</c>. A registry's tag list names tags only: remote rows carry name and tag, and
/// the other fields are left out rather than guessed (docs/cli.md).
/// </summary>
internal sealed record ImageListItem(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tag")] string? Tag,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("size")] long? Size,
    [property: JsonPropertyName("moduleDigest")] string? ModuleDigest,
    [property: JsonPropertyName("layout")] string? Layout,
    [property: JsonPropertyName("updated")] DateTimeOffset? Updated);

/// <summary><c>wasme inspect --output json</c>.</summary>
internal sealed record ImageInspection(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("layout")] string Layout,
    [property: JsonPropertyName("moduleDigest")] string ModuleDigest,
    [property: JsonPropertyName("moduleSize")] long ModuleSize,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("abiVersions")] IReadOnlyList<string> AbiVersions,
    [property: JsonPropertyName("rootIds")] IReadOnlyList<string> RootIds,
    [property: JsonPropertyName("manifest")] System.Text.Json.JsonElement Manifest,
    [property: JsonPropertyName("signatures")] IReadOnlyList<string>? Signatures = null);

[JsonSerializable(typeof(IReadOnlyList<ImageListItem>))]
[JsonSerializable(typeof(ImageInspection))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class ImagesJsonContext : JsonSerializerContext
{
    /// <summary>
    /// What list, inspect and build print. A manifest's media types keep their '+' (and annotations their
    /// non-ASCII text) as docker, skopeo and oras print them: the default encoder's <c>\u002B</c> is valid
    /// JSON but matches no grep for 'v1+json'. Control characters are still escaped.
    /// </summary>
    public static ImagesJsonContext Output { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new Rfc3339Converter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
