namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// Username/password (or an identity token, sent as a refresh token). <see cref="ToString"/> never
/// shows the secret, so a credential that ends up in a log or exception stays safe.
/// </summary>
public sealed record RegistryCredential(string Username, string Password)
{
    /// <summary>An OAuth2 refresh token (docker's <c>identitytoken</c>); preferred over the password when set.</summary>
    public string? IdentityToken { get; init; }

    public override string ToString() => $"RegistryCredential {{ Username = {Username}, Password = *** }}";
}
