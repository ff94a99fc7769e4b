using System.Text.Json.Serialization;

namespace Wasme.Oci.Registry.Auth;

/// <summary>Docker's <c>config.json</c> (and a <c>kubernetes.io/dockerconfigjson</c> secret): only the parts about credentials.</summary>
public sealed record DockerConfigFile
{
    [JsonPropertyName("auths")]
    public Dictionary<string, DockerAuthEntry>? Auths { get; init; }

    [JsonPropertyName("credsStore")]
    public string? CredsStore { get; init; }

    [JsonPropertyName("credHelpers")]
    public Dictionary<string, string>? CredHelpers { get; init; }

    /// <summary>Keys we do not understand, kept so writing the file back loses nothing.</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Other { get; set; }
}

public sealed record DockerAuthEntry
{
    /// <summary>base64("user:password").</summary>
    [JsonPropertyName("auth")]
    public string? Auth { get; init; }

    [JsonPropertyName("username")]
    public string? Username { get; init; }

    [JsonPropertyName("password")]
    public string? Password { get; init; }

    [JsonPropertyName("identitytoken")]
    public string? IdentityToken { get; init; }

    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Other { get; set; }
}

/// <summary>What <c>docker-credential-&lt;name&gt; get</c> prints.</summary>
public sealed record CredentialHelperOutput
{
    [JsonPropertyName("ServerURL")]
    public string? ServerUrl { get; init; }

    [JsonPropertyName("Username")]
    public string? Username { get; init; }

    [JsonPropertyName("Secret")]
    public string? Secret { get; init; }
}
