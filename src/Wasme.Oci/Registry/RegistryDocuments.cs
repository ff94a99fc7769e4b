using System.Text.Json.Serialization;

namespace Wasme.Oci.Registry;

/// <summary>Body of <c>GET /v2/&lt;name&gt;/tags/list</c>.</summary>
public sealed record TagList
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>Body of <c>GET /v2/_catalog</c>.</summary>
public sealed record Catalog
{
    [JsonPropertyName("repositories")]
    public IReadOnlyList<string>? Repositories { get; init; }
}

/// <summary>Error body of the distribution spec: <c>{"errors":[{"code","message"}]}</c>.</summary>
public sealed record RegistryErrors
{
    [JsonPropertyName("errors")]
    public IReadOnlyList<RegistryError>? Errors { get; init; }
}

public sealed record RegistryError
{
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

/// <summary>Token endpoint answer in the Docker token auth flow.</summary>
public sealed record TokenResponse
{
    [JsonPropertyName("token")]
    public string? Token { get; init; }

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("expires_in")]
    public int? ExpiresIn { get; init; }
}
