using System.Text.Json.Serialization;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Transparency;

namespace Wasme.Signing;

/// <summary>Source-generated JSON for every Sigstore and cosign document wasme reads or writes (the CLI is native AOT).</summary>
// RespectNullableAnnotations: a JSON null where the type says never-null (a Rekor annotation's "Payload":null, which whoever
// controls the registry writes) fails the read as JsonException, the refusal every caller handles, not a later NullReferenceException.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(EncryptedKeyEnvelope))]
[JsonSerializable(typeof(SimpleSigningPayload))]
[JsonSerializable(typeof(SigstoreBundle))]
[JsonSerializable(typeof(TrustedRoot))]
[JsonSerializable(typeof(CosignRekorBundle))]
[JsonSerializable(typeof(HashedRekordBody))]
internal sealed partial class SigningJsonContext : JsonSerializerContext
{
    /// <summary>For documents whose bytes are signed or hashed: no <c>\u002B</c> escapes for '+' and the like.</summary>
    public static SigningJsonContext Written { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
