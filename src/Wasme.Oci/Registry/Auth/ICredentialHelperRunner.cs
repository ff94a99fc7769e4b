namespace Wasme.Oci.Registry.Auth;

/// <summary>Runs a docker credential helper (<c>docker-credential-&lt;name&gt; get|store|erase</c>).</summary>
public interface ICredentialHelperRunner
{
    /// <returns>The credential, or null when the helper has none for this server.</returns>
    Task<RegistryCredential?> GetAsync(string helper, string serverUrl, CancellationToken cancellationToken);

    Task StoreAsync(string helper, string serverUrl, RegistryCredential credential, CancellationToken cancellationToken);

    /// <returns>False when the helper had nothing for this server.</returns>
    Task<bool> EraseAsync(string helper, string serverUrl, CancellationToken cancellationToken);
}
