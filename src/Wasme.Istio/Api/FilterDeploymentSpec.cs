using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Wasme.Istio.Api;

public sealed class FilterDeploymentSpec
{
    [JsonPropertyName("filter")]
    public FilterSpec? Filter { get; set; }

    [JsonPropertyName("deployment")]
    public DeploymentSpec? Deployment { get; set; }
}

/// <summary>The filter itself. Field names (including <c>rootID</c>) match the original wasme API.</summary>
public sealed class FilterSpec
{
    /// <summary>Unique id of the filter; default <c>&lt;name&gt;.&lt;namespace&gt;</c>. Suffix of generated object names, Envoy filter name and VM id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    /// <summary>OCI reference of the Wasm image (tag or digest).</summary>
    [JsonPropertyName("image")]
    public string? Image { get; set; }

    /// <summary>
    /// A plain string, <c>{'@type': type.googleapis.com/google.protobuf.StringValue, value: ...}</c>,
    /// or any JSON object (delivered as its JSON text). Kept as a node so that every shape can be validated, not dropped.
    /// </summary>
    [JsonPropertyName("config")]
    public JsonNode? Config { get; set; }

    /// <summary>Root context id; default the image's first root id.</summary>
    [JsonPropertyName("rootID")]
    public string? RootId { get; set; }

    [JsonPropertyName("patchContext")]
    public PatchContext? PatchContext { get; set; }

    [JsonPropertyName("failStrategy")]
    public FailStrategy? FailStrategy { get; set; }

    [JsonPropertyName("imagePullOptions")]
    public ImagePullOptions? ImagePullOptions { get; set; }

    /// <summary>Who must have signed the image; absent means signatures are not checked.</summary>
    [JsonPropertyName("verification")]
    public VerificationSpec? Verification { get; set; }
}

/// <summary>
/// Signature verification of the image (cosign/Sigstore signatures on its manifest digest). One signature
/// by any listed key or identity is enough. The Sigstore trusted root for keyless identities is the
/// operator's and cache's <c>--sigstore-trusted-root</c>, one per cluster, as a platform team runs it.
/// </summary>
public sealed class VerificationSpec
{
    /// <summary><c>Enforce</c> (default): an image that fails is never applied nor served. <c>Warn</c>: applied, with a condition and a Warning Event.</summary>
    [JsonPropertyName("policy")]
    public VerificationMode? Policy { get; set; }

    /// <summary>PEM public keys (<c>cosign.pub</c>, as <c>wasme generate-key-pair</c> writes them).</summary>
    [JsonPropertyName("publicKeys")]
    public IList<string>? PublicKeys { get; set; }

    /// <summary>Keyless signers: a Fulcio certificate for one of these identities, logged in Rekor.</summary>
    [JsonPropertyName("identities")]
    public IList<SignerIdentity>? Identities { get; set; }
}

/// <summary>An OIDC issuer and subject, each exact or a regular expression matched in full (as cosign's flags).</summary>
public sealed class SignerIdentity
{
    [JsonPropertyName("issuer")]
    public string? Issuer { get; set; }

    [JsonPropertyName("issuerRegExp")]
    public string? IssuerRegExp { get; set; }

    [JsonPropertyName("subject")]
    public string? Subject { get; set; }

    [JsonPropertyName("subjectRegExp")]
    public string? SubjectRegExp { get; set; }
}

public sealed class ImagePullOptions
{
    /// <summary>Secret in the FilterDeployment's namespace (<c>kubernetes.io/dockerconfigjson</c>, or keys <c>username</c>/<c>password</c>).</summary>
    [JsonPropertyName("pullSecret")]
    public string? PullSecret { get; set; }

    [JsonPropertyName("insecureSkipVerify")]
    public bool? InsecureSkipVerify { get; set; }

    [JsonPropertyName("plainHttp")]
    public bool? PlainHttp { get; set; }
}

/// <summary>Where the filter goes. Like the original, <c>istio</c> is the only target.</summary>
public sealed class DeploymentSpec
{
    [JsonPropertyName("istio")]
    public IstioDeploymentSpec? Istio { get; set; }
}

public sealed class IstioDeploymentSpec
{
    /// <summary>Kind of the workload objects to select.</summary>
    [JsonPropertyName("kind")]
    public WorkloadKind? Kind { get; set; }

    /// <summary>Selects workload objects by their own <c>metadata.labels</c>; empty selects every workload of the kind in the namespace.</summary>
    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>Namespace of istiod (for the version check); default <c>istio-system</c>.</summary>
    [JsonPropertyName("istioNamespace")]
    public string? IstioNamespace { get; set; }

    [JsonPropertyName("delivery")]
    public DeliveryMode? Delivery { get; set; }
}
