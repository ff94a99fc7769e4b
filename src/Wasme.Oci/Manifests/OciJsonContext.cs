using System.Text.Json.Serialization;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Oci.Manifests;

/// <summary>Source-generated JSON for every type Wasme.Oci reads or writes (the CLI is published native AOT).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(OciLayoutFile))]
[JsonSerializable(typeof(RuntimeConfig))]
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(Catalog))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(RegistryErrors))]
[JsonSerializable(typeof(DockerConfigFile))]
[JsonSerializable(typeof(CredentialHelperOutput))]
public sealed partial class OciJsonContext : JsonSerializerContext
{
    /// <summary>
    /// For documents wasme writes (manifests, the store's index.json): the default encoder escapes '+' as
    /// <c>\u002B</c> ("application/vnd.oci.image.layer.v1.tar\u002Bgzip"), which docker, skopeo and oras
    /// never write; a digest is over the exact bytes, so wasme writes what they write.
    /// </summary>
    public static OciJsonContext Written { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
