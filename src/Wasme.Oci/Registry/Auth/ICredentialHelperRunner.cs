namespace Wasme.Oci.Registry.Auth;

/// <summary>Runs a docker credential helper (<c>docker-credential-&lt;name&gt; get</c>).</summary>
public interface ICredentialHelperRunner
{
    /// <returns>The credential, or null when the helper has none for this server.</returns>
    Task<RegistryCredential?> GetAsync(string helper, string serverUrl, CancellationToken cancellationToken);
}
