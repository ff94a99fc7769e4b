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
public sealed partial class OciJsonContext : JsonSerializerContext;
