namespace Wasme.Oci.Registry.Auth;

/// <summary>Finds the credential for a registry host (<c>127.0.0.1:5000</c>, <c>docker.io</c>).</summary>
public interface ICredentialProvider
{
    /// <returns>The credential, or null to go anonymous.</returns>
    ValueTask<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken);
}

/// <summary>No credentials: anonymous access everywhere.</summary>
public sealed class AnonymousCredentialProvider : ICredentialProvider
{
    public static AnonymousCredentialProvider Instance { get; } = new();

    public ValueTask<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken) =>
        ValueTask.FromResult<RegistryCredential?>(null);
}

/// <summary>One fixed credential for every registry (<c>--username/--password-stdin</c>).</summary>
public sealed class StaticCredentialProvider(RegistryCredential credential) : ICredentialProvider
{
    public ValueTask<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken) =>
        ValueTask.FromResult<RegistryCredential?>(credential);
}
