namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// What <c>wasme login</c> and <c>logout</c> change: the Docker config that docker, oras, skopeo, podman
/// and helm read, through its credential helper when it names one. The file earlier wasme versions
/// wrote (<see cref="DockerConfigCredentialProvider.LegacyWasmeConfigPath"/>) is still read, and is
/// migrated registry by registry: a login or logout removes that registry from it, so an old plaintext
/// secret neither outlives a new login nor comes back after a logout. The containers auth file
/// (skopeo, podman) is only read: <c>skopeo logout</c> owns it.
/// </summary>
public sealed class RegistryLogins
{
    private readonly CredentialStore _docker;
    private readonly CredentialStore _legacy;
    private readonly string? _containers;

    private RegistryLogins(CredentialStore docker, CredentialStore legacy, string? containers)
    {
        _docker = docker;
        _legacy = legacy;
        _containers = containers;
    }

    public static RegistryLogins FromEnvironment(Func<string, string?> getEnvironmentVariable, ICredentialHelperRunner? helpers = null, TimeProvider? timeProvider = null) =>
        new(
            new CredentialStore(DockerConfigCredentialProvider.DefaultDockerConfigPath(getEnvironmentVariable), helpers ?? new ProcessCredentialHelperRunner(getEnvironmentVariable), timeProvider),
            new CredentialStore(DockerConfigCredentialProvider.LegacyWasmeConfigPath(getEnvironmentVariable), timeProvider: timeProvider),
            DockerConfigCredentialProvider.ContainersAuthPath(getEnvironmentVariable));

    /// <summary>The Docker config file written.</summary>
    public string DockerConfigPath => _docker.Path;

    /// <returns>Where the secret went: the credential helper's program, or the Docker config file.</returns>
    public async Task<string> SaveAsync(string registry, RegistryCredential credential, CancellationToken cancellationToken = default)
    {
        var helper = await _docker.SaveAsync(registry, credential, cancellationToken).ConfigureAwait(false);
        await _legacy.RemoveAsync(registry, cancellationToken).ConfigureAwait(false);
        return helper ?? _docker.Path;
    }

    /// <returns>True when credentials were removed from the Docker config, its helper or the old wasme file.</returns>
    public async Task<bool> RemoveAsync(string registry, CancellationToken cancellationToken = default)
    {
        var removed = await _docker.RemoveAsync(registry, cancellationToken).ConfigureAwait(false);
        return await _legacy.RemoveAsync(registry, cancellationToken).ConfigureAwait(false) || removed;
    }

    /// <summary>The containers auth file when it still holds credentials for the registry (after a logout, they are still used).</summary>
    public async Task<string?> ReadOnlySourceForAsync(string registry, CancellationToken cancellationToken = default)
    {
        if (_containers is null || !File.Exists(_containers))
        {
            return null;
        }

        var credential = await DockerConfigCredentialProvider.FromFiles([_containers]).GetAsync(registry, cancellationToken).ConfigureAwait(false);
        return credential is null ? null : _containers;
    }
}
